package acl

import "strings"

// Catalog numbers the commands and subcommands a user may be allowed to
// run, and knows their categories. Build it once (AddCommand, AddSub),
// then only read it: users keep a pointer to it.
type Catalog struct {
	names  []string // id -> "get", "client|id"
	cats   []Categories
	parent []int   // id -> the container's id, or -1
	subs   [][]int // id -> its subcommands' ids
	byName map[string]int
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{byName: map[string]int{}} }

// AddCommand adds a command (lower case) and returns its id.
func (c *Catalog) AddCommand(name string, cats Categories) int {
	return c.add(strings.ToLower(name), cats, -1)
}

// AddSub adds subcommand sub of the command with id parent ("client",
// "id" becomes "client|id") and returns its id.
func (c *Catalog) AddSub(parent int, sub string, cats Categories) int {
	id := c.add(c.names[parent]+"|"+strings.ToLower(sub), cats, parent)
	c.subs[parent] = append(c.subs[parent], id)
	return id
}

func (c *Catalog) add(name string, cats Categories, parent int) int {
	if id, ok := c.byName[name]; ok {
		return id
	}
	id := len(c.names)
	c.names = append(c.names, name)
	c.cats = append(c.cats, cats)
	c.parent = append(c.parent, parent)
	c.subs = append(c.subs, nil)
	c.byName[name] = id
	return id
}

// Lookup returns the id of a command or "command|sub" (any case).
func (c *Catalog) Lookup(name string) (int, bool) {
	id, ok := c.byName[strings.ToLower(name)]
	return id, ok
}

// Name returns the name of id ("client|id" for a subcommand).
func (c *Catalog) Name(id int) string { return c.names[id] }

// Len returns the number of ids.
func (c *Catalog) Len() int { return len(c.names) }

// HasSubs reports whether id is a container command.
func (c *Catalog) HasSubs(id int) bool { return len(c.subs[id]) > 0 }

// InCategory returns the ids of the commands and subcommands in cat, in
// the order they were added.
func (c *Catalog) InCategory(cat Categories) []int {
	var out []int
	for id, cs := range c.cats {
		if cs&cat != 0 {
			out = append(out, id)
		}
	}
	return out
}
