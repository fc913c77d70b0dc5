package cacheserver

import (
	"sync"

	"github.com/ringcache/ringcache/internal/acl"
	"github.com/ringcache/ringcache/ring"
)

// command is one entry of the command table. The table drives dispatch,
// arity checks, COMMAND / COMMAND INFO / COMMAND DOCS output, key extraction
// (keys) for routing and cross-slot checks, and WATCH invalidation (commands
// flagged "write" touch their keys).
//
// Handler contract: handler is called with the whole command (args[0] is the
// name as sent) after the arity check, and writes exactly one reply with
// c.w. It reads and writes the keyspace through c.db (the *store.Store, or
// the *store.Tx of the running EXEC), never c.srv.store, except for
// whole-store operations without keys (DBSIZE, FLUSHALL, SCAN, KEYS,
// RANDOMKEY). Store errors go through c.replyErr, which maps them to Redis's
// exact text and counts errorstats. Handlers may use on *conn:
//
//   - c.w *resp.Writer      the reply writer (flushed by the connection loop)
//   - c.db store.Ops        the keyspace (a *store.Tx inside EXEC)
//   - c.srv *Server         c.srv.store is the *store.Store for whole-store ops
//   - c.noTouch bool        CLIENT NO-TOUCH: reads should use Peek, not Get
//   - c.scratch []byte      reusable buffer for Get's dst (keep it: c.scratch = v[:0])
//   - c.replyErr(err)       reply a store error (or any error) with Redis's text
//   - c.replyErrString(s)   reply an error string such as syntaxErr (counts errorstats)
//   - c.proto() int         2 or 3, the protocol the client speaks
//
// args alias the connection's read buffer: copy anything kept after the
// handler returns (the store copies keys and values it stores).
type command struct {
	name                    string   // lower case
	arity                   int      // Redis convention (negative: at least -arity)
	flags                   []string // as Redis COMMAND reports: "write", "readonly", "denyoom", "fast", ...
	firstKey, lastKey, step int      // key positions as in Redis COMMAND (lastKey -1 = last arg)
	acl                     []string // "@string", "@keyspace", "@read", "@write", "@fast", "@slow", ...
	group, summary, since   string   // for COMMAND DOCS
	handler                 func(c *conn, args [][]byte)
	keysFn                  func(args [][]byte) [][]byte // keys of a movablekeys command (SINTERCARD); nil: the positions

	write    bool // flags contain "write" (WATCH invalidation)
	readonly bool // flags contain "readonly" (client tracking remembers the keys)
	noMulti  bool // flags contain "no-multi" (refused inside MULTI)
	allStore bool // whole-store command (flushall, dbsize...): not run under a slot lock
	noAuth   bool // allowed before AUTH

	stats    cmdStats // INFO commandstats (cmdstats.go); the table is per server
	ownLease bool     // checks and consumes the key's lease itself (LEASESET) instead of voiding it

	// ACL (acl_table.go): acl above lists categories; @read/@write,
	// @fast/@slow and @admin @dangerous are derived from flags when absent.
	subs      map[string]subcommand // a container's subcommands (CLIENT, CONFIG...): ACL +client|id, ACL CAT
	adminSubs []string              // subcommands that are also @admin @dangerous (CLIENT KILL...)
	chans     chanSpec              // which arguments are Pub/Sub channels (ACL &patterns)
	writeOnly bool                  // a write that never reads its keys' values (SET, DEL...): W suffices under %W~
	cats      acl.Categories        // derived from acl and flags
	aclID     int                   // the command's id in the ACL catalog
	subIDs    map[string]int        // the subcommands' ids in the ACL catalog
	// movedOnly: never forwarded, -MOVED off the owner in both routing modes
	// (SSUBSCRIBE: the subscription must live on the owner's connection).
	movedOnly bool
}

// commandTable maps lower-case names to commands.
type commandTable struct {
	byName   map[string]*command
	sorted   []*command
	get, set *command // the hottest commands, found without hashing

	catalog  *acl.Catalog // commands and subcommands numbered for ACL (acl_table.go)
	subStats sync.Map     // "config|get" → *cmdStats: container commands count per subcommand (cmdstats.go)
	noStats  cmdStats     // where an unknown subcommand's call is counted: nowhere reported
}

// newCommandTable builds the table from every command group.
func newCommandTable() *commandTable {
	t := &commandTable{byName: make(map[string]*command)}
	groups := [][]*command{connCommands(), serverCommands(), multiCommands(),
		stringCommands(), keyCommands(), bitCommands(), scanCommands(), clusterCommands(), pubsubCommands(),
		objectCommands(), renameCommands(), leaseCommands(), aclCommands(), latencyCommands(), hashCommands(), setCommands(), zsetCommands(),
		listCommands(),
		replCommands()}
	for _, g := range groups {
		for _, cmd := range g {
			t.add(cmd)
		}
	}
	t.get, t.set = t.byName["get"], t.byName["set"]
	t.catalog = t.buildCatalog()
	return t
}

func (t *commandTable) add(cmd *command) {
	for _, f := range cmd.flags {
		switch f {
		case "write":
			cmd.write = true
		case "readonly":
			cmd.readonly = true
		case "no-multi":
			cmd.noMulti = true
		case "no-auth":
			cmd.noAuth = true
		}
	}
	cmd.deriveCategories() // acl_table.go
	if cmd.firstKey == 0 && cmd.group != "connection" && cmd.group != "transactions" && cmd.group != "cluster" &&
		cmd.name != "ping" && cmd.name != "echo" && cmd.name != "time" {
		cmd.allStore = true
	}
	t.byName[cmd.name] = cmd
	t.sorted = append(t.sorted, cmd)
}

// lookup finds a command by name, case-insensitively, without allocating.
func (t *commandTable) lookup(name []byte) *command {
	if len(name) == 3 && name[1]|0x20 == 'e' && name[2]|0x20 == 't' {
		switch name[0] | 0x20 {
		case 'g':
			return t.get
		case 's':
			return t.set
		}
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return nil
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return t.byName[string(buf[:len(name)])]
}

// arityOK reports whether n arguments (name included) satisfy arity.
func (cmd *command) arityOK(n int) bool {
	if cmd.arity >= 0 {
		return n == cmd.arity
	}
	return n >= -cmd.arity
}

// keys returns the key arguments of args according to the command's key
// positions (nil for commands without keys). The slices alias args.
func keys(cmd *command, args [][]byte) [][]byte {
	return appendKeys(nil, cmd, args)
}

// appendKeys is keys appending to dst.
func appendKeys(dst [][]byte, cmd *command, args [][]byte) [][]byte {
	if cmd.keysFn != nil {
		return append(dst, cmd.keysFn(args)...)
	}
	if cmd.firstKey <= 0 || cmd.firstKey >= len(args) {
		return dst
	}
	last := cmd.lastKey
	if last < 0 {
		last = len(args) + last
	}
	if last >= len(args) {
		last = len(args) - 1
	}
	step := max(cmd.step, 1)
	for i := cmd.firstKey; i <= last; i += step {
		dst = append(dst, args[i])
	}
	return dst
}

// slotOf returns the one slot all keys hash to, -1 when there are no keys,
// or -2 when they span several slots.
func slotOf(keys [][]byte) int {
	slot := -1
	for _, k := range keys {
		s := ring.KeySlotBytes(k)
		if slot >= 0 && s != slot {
			return -2
		}
		slot = s
	}
	return slot
}
