package cacheserver

// What the hash and set command files share: WRONGTYPE for string reads
// that found a key of another kind, count/cursor parsing, the replies of
// element collections, and typeEvent, the one place a type command
// reports "event X happened on key K" (keyspace notifications).
// Invalidation (CLIENT TRACKING, WATCH) needs nothing here: every type
// command that modifies is flagged "write" and declares its keys, so the
// dispatcher invalidates them as it does for strings; keys the store
// removes itself (expiry, eviction, a hash's last field expiring) go
// through store.Config.OnRemove.

import (
	"math"
	"strconv"

	"github.com/ringcache/ringcache/internal/rstrconv"
	"github.com/ringcache/ringcache/internal/store"
)

// countRangeErr is Redis's getRangeLongFromObjectOrReply error for a
// count in [-LONG_MAX, LONG_MAX].
const countRangeErr = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

// maxRandomCount bounds the repeats HRANDFIELD/SRANDMEMBER with a negative
// count return (Redis has no bound and would build the whole reply): a
// deliberate difference, so bad input cannot grow memory without bound.
const maxRandomCount = 1 << 24

// parseRandomCount parses the count of HRANDFIELD, SRANDMEMBER and
// ZRANDMEMBER with Redis's errors (and maxRandomCount's); false when it
// replied with an error.
func parseRandomCount(c *conn, arg []byte) (int64, bool) {
	n, ok := parseInt(c, arg)
	switch {
	case !ok:
		return 0, false
	case n == math.MinInt64:
		c.replyErrString(countRangeErr)
		return 0, false
	case n < -maxRandomCount:
		c.replyErrString("ERR value is out of range")
		return 0, false
	}
	return n, true
}

// missWrongType is called after a string read found nothing: a key of
// another kind gets WRONGTYPE (and true).
func missWrongType(c *conn, key []byte) bool {
	if t := c.db.Type(key); t != "none" && t != "string" {
		c.replyErr(store.ErrWrongType)
		return true
	}
	return false
}

// typeEvent reports that a type command did event (Redis's keyspace event
// name: "hset", "hdel", "sadd", "srem", "spop", "hexpire", ...) on key:
// the one place the type commands publish keyspace notifications (class
// hash for events starting with 'h', zset for 'z', set otherwise).
func typeEvent(c *conn, event string, key []byte) {
	class := ntfSet
	switch event[0] {
	case 'h':
		class = ntfHash
	case 'z':
		class = ntfZset
	}
	c.notify(class, event, key)
}

// replyStrings replies an array (or a RESP3 set when set) of elements.
func replyStrings(c *conn, elems [][]byte, set bool) {
	if set {
		c.w.WriteSet(len(elems))
	} else {
		c.w.WriteArray(len(elems))
	}
	for _, e := range elems {
		c.w.WriteBulk(e)
	}
}

// replyScan replies a SCAN-family reply: the next cursor and the elements
// (pairs flattened when vals is not nil).
func replyScan(c *conn, next uint64, keys, vals [][]byte) {
	c.w.WriteArray(2)
	c.w.WriteBulkString(strconv.FormatUint(next, 10))
	if vals == nil {
		replyStrings(c, keys, false)
		return
	}
	c.w.WriteArray(2 * len(keys))
	for i := range keys {
		c.w.WriteBulk(keys[i])
		c.w.WriteBulk(vals[i])
	}
}

// parseTypeScan parses the cursor and options of HSCAN/SSCAN (novalues:
// HSCAN's NOVALUES is allowed).
func parseTypeScan(c *conn, args [][]byte, novaluesOK bool) (cursor uint64, o scanOpts, novalues, ok bool) {
	cursor, ok = parseCursor(args[2])
	if !ok {
		c.replyErrString(invalidCursorErr)
		return 0, o, false, false
	}
	rest := args[3:]
	if novaluesOK && len(rest) > 0 && len(rest)%2 == 1 && equalFoldStr(rest[len(rest)-1], "novalues") {
		novalues, rest = true, rest[:len(rest)-1]
	}
	o, e := parseScanOpts(rest)
	if e == "" && o.hasType {
		e = syntaxErr
	}
	if e != "" {
		c.replyErrString(e)
		return 0, o, false, false
	}
	return cursor, o, novalues, true
}

func equalFoldStr(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		ch := b[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}

// parseInt parses an integer argument, replying Redis's error if it is not.
func parseInt(c *conn, b []byte) (int64, bool) {
	n, ok := rstrconv.ParseInt(b)
	if !ok {
		c.replyErrString(notIntegerErr)
	}
	return n, ok
}
