package cacheserver

// Whole-keyspace commands: SCAN, KEYS, RANDOMKEY, DBSIZE, FLUSHDB and
// FLUSHALL. They work on c.srv.store (this node's keys only, as in Redis
// Cluster). SCAN's cursor is the store's: opaque, and 0 ends the iteration;
// every key present throughout a full iteration is returned at least once.

import (
	"github.com/ringcache/ringcache/internal/rstrconv"
	"strconv"
	"strings"
)

// scanCommands returns the whole-keyspace commands with Redis 7.0's COMMAND
// INFO metadata (checked by TestCommandInfoMatchesRedis).
func scanCommands() []*command {
	return []*command{
		{name: "scan", arity: -2, flags: []string{"readonly"}, firstKey: 0, lastKey: 0, step: 0,
			acl: []string{"@keyspace", "@read", "@slow"}, group: "generic", since: "2.8.0",
			summary: "Incrementally iterate the keys space", handler: cmdScan},
		{name: "keys", arity: 2, flags: []string{"readonly"}, firstKey: 0, lastKey: 0, step: 0,
			acl: []string{"@keyspace", "@read", "@slow", "@dangerous"}, group: "generic", since: "1.0.0",
			summary: "Find all keys matching the given pattern", handler: cmdKeys},
		{name: "randomkey", arity: 1, flags: []string{"readonly"}, firstKey: 0, lastKey: 0, step: 0,
			acl: []string{"@keyspace", "@read", "@slow"}, group: "generic", since: "1.0.0",
			summary: "Return a random key from the keyspace", handler: cmdRandomKey},
		{name: "dbsize", arity: 1, flags: []string{"readonly", "fast"}, firstKey: 0, lastKey: 0, step: 0,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "server", since: "1.0.0",
			summary: "Return the number of keys in the selected database", handler: cmdDBSize},
		{name: "flushdb", arity: -1, flags: []string{"write"}, firstKey: 0, lastKey: 0, step: 0,
			acl: []string{"@keyspace", "@write", "@slow", "@dangerous"}, group: "server", since: "1.0.0",
			summary: "Remove all keys from the current database", handler: cmdFlush},
		{name: "flushall", arity: -1, flags: []string{"write"}, firstKey: 0, lastKey: 0, step: 0,
			acl: []string{"@keyspace", "@write", "@slow", "@dangerous"}, group: "server", since: "1.0.0",
			summary: "Remove all keys from all databases", handler: cmdFlush},
	}
}

const invalidCursorErr = "ERR invalid cursor"

// parseCursor parses a cursor like C's strtoul as Redis does: optional sign
// (a '-' wraps around), decimal digits, nothing else; "" is 0.
func parseCursor(b []byte) (uint64, bool) {
	s := string(b)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
		if s == "" {
			return 0, false
		}
	}
	if s == "" {
		return 0, true
	}
	if s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanOpts are SCAN's options.
type scanOpts struct {
	count    int
	match    []byte // nil: every key
	typeName string // "": any type
	hasType  bool
}

func parseScanOpts(args [][]byte) (scanOpts, string) {
	o := scanOpts{count: 10}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return o, syntaxErr
		}
		switch strings.ToLower(string(args[i])) {
		case "count":
			n, ok := rstrconv.ParseInt(args[i+1])
			if !ok {
				return o, notIntegerErr
			}
			if n < 1 {
				return o, syntaxErr
			}
			o.count = int(min(n, 1<<20))
		case "match":
			o.match = args[i+1]
			if len(o.match) == 1 && o.match[0] == '*' {
				o.match = nil
			}
		case "type":
			o.typeName, o.hasType = string(args[i+1]), true
		default:
			return o, syntaxErr
		}
	}
	return o, ""
}

func cmdScan(c *conn, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.replyErrString(invalidCursorErr)
		return
	}
	o, e := parseScanOpts(args[2:])
	if e != "" {
		c.replyErrString(e)
		return
	}
	keys, next := c.srv.store.Scan(cursor, o.match, o.count, nil)
	if o.hasType {
		keys = filterType(c, keys, o.typeName)
	}
	keys = emptyPatternFilter(o.match, keys)
	c.w.WriteArray(2)
	c.w.WriteBulkString(strconv.FormatUint(next, 10))
	c.w.WriteArray(len(keys))
	for _, k := range keys {
		c.w.WriteBulk(k)
	}
}

// cmdKeys iterates the whole store with Scan and replies each key once.
func cmdKeys(c *conn, args [][]byte) {
	match := args[1]
	if len(match) == 1 && match[0] == '*' {
		match = nil
	}
	var out [][]byte
	seen := make(map[string]struct{})
	var batch [][]byte
	for cursor := uint64(0); ; {
		batch, cursor = c.srv.store.Scan(cursor, match, 1024, batch[:0])
		for _, k := range emptyPatternFilter(match, batch) {
			if _, dup := seen[string(k)]; !dup {
				seen[string(k)] = struct{}{}
				out = append(out, k)
			}
		}
		if cursor == 0 {
			break
		}
	}
	c.w.WriteArray(len(out))
	for _, k := range out {
		c.w.WriteBulk(k)
	}
}

// emptyPatternFilter keeps only the empty key when the pattern is "" (which
// the store's Scan takes as "every key"; in Redis it matches only "").
func emptyPatternFilter(match []byte, keys [][]byte) [][]byte {
	if match == nil || len(match) > 0 {
		return keys
	}
	out := keys[:0]
	for _, k := range keys {
		if len(k) == 0 {
			out = append(out, k)
		}
	}
	return out
}

func cmdRandomKey(c *conn, args [][]byte) {
	k, ok := c.srv.store.RandomKey(c.scratch[:0])
	c.scratch = k[:0]
	writeBulkOrNull(c, k, ok)
}

func cmdDBSize(c *conn, args [][]byte) {
	c.w.WriteInt(int64(c.srv.store.Len()))
}

// cmdFlush is FLUSHDB and FLUSHALL [ASYNC|SYNC] (one database; freeing the
// arena chunks is immediate either way).
func cmdFlush(c *conn, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !strings.EqualFold(string(args[1]), "sync") &&
		!strings.EqualFold(string(args[1]), "async")) {
		c.replyErrString(syntaxErr)
		return
	}
	if c.srv.watch.active.Load() > 0 {
		c.srv.watch.touchExisting(c.srv.store)
	}
	c.srv.store.FlushAll()
	c.srv.track.flushAll()
	c.srv.release.request()
	c.w.WriteSimple("OK")
}

// filterType keeps the keys of type typ (SCAN ... TYPE).
func filterType(c *conn, keys [][]byte, typ string) [][]byte {
	out := keys[:0]
	for _, k := range keys {
		if strings.EqualFold(c.srv.store.Type(k), typ) {
			out = append(out, k)
		}
	}
	return out
}
