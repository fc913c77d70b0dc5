package acl

import (
	"fmt"
	"strings"
)

// ValidName reports whether name may name a user (no spaces or NULs).
func ValidName(name string) bool { return name != "" && !strings.ContainsAny(name, " \x00") }

// ParseFile parses an ACL file: one "user <name> <rule> ..." per line,
// blank lines and lines starting with '#' ignored. Every user starts
// from NewUser. Errors name the line, as Redis's do.
func ParseFile(text string, cat *Catalog) ([]*User, error) {
	var users []*User
	seen := map[string]bool{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if f[0] != "user" || len(f) < 2 {
			return nil, fmt.Errorf(":%d: line should start with user keyword", n+1)
		}
		if !ValidName(f[1]) {
			return nil, fmt.Errorf(":%d: Usernames can't contain spaces or null characters", n+1)
		}
		if seen[f[1]] {
			return nil, fmt.Errorf(":%d: Duplicate user '%s' found", n+1, f[1])
		}
		seen[f[1]] = true
		u, err := NewUser(f[1], cat).Apply(f[2:]...)
		if err != nil {
			return nil, fmt.Errorf(":%d: %w", n+1, err)
		}
		users = append(users, u)
	}
	return users, nil
}
