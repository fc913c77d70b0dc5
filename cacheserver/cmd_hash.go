package cacheserver

// Hash commands, as Redis 7 answers them (field TTL: Redis 7.4). The hash
// itself (small/large encodings, field deadlines, lazy and active field
// expiry) is the store's (internal/store/hash*.go).

import (
	"math"
	"strconv"

	"github.com/ringcache/ringcache/internal/store"
)

func hashCmd(name string, arity int, flags []string, last int, acl []string, since, summary string, h func(*conn, [][]byte)) *command {
	return &command{name: name, arity: arity, flags: flags, firstKey: 1, lastKey: last, step: 1,
		acl: []string{acl[0], "@hash", acl[1]}, group: "hash", since: since, summary: summary, handler: h}
}

var (
	wDenyFast = []string{"write", "denyoom", "fast"}
	wFast     = []string{"write", "fast"}
	rFast     = []string{"readonly", "fast"}
	rSlow     = []string{"readonly"}
	aWFast    = []string{"@write", "@fast"}
	aRFast    = []string{"@read", "@fast"}
	aRSlow    = []string{"@read", "@slow"}
)

func hashCommands() []*command {
	return []*command{
		hashCmd("hset", -4, wDenyFast, 1, aWFast, "2.0.0", "Set the string value of a hash field", cmdHSet),
		hashCmd("hmset", -4, wDenyFast, 1, aWFast, "2.0.0", "Set multiple hash fields to multiple values", cmdHSet),
		hashCmd("hsetnx", 4, wDenyFast, 1, aWFast, "2.0.0", "Set the value of a hash field, only if the field does not exist", cmdHSetNX),
		hashCmd("hget", 3, rFast, 1, aRFast, "2.0.0", "Get the value of a hash field", cmdHGet),
		hashCmd("hmget", -3, rFast, 1, aRFast, "2.0.0", "Get the values of all the given hash fields", cmdHMGet),
		hashCmd("hexists", 3, rFast, 1, aRFast, "2.0.0", "Determine if a hash field exists", cmdHExists),
		hashCmd("hstrlen", 3, rFast, 1, aRFast, "3.2.0", "Get the length of the value of a hash field", cmdHStrLen),
		hashCmd("hlen", 2, rFast, 1, aRFast, "2.0.0", "Get the number of fields in a hash", cmdHLen),
		hashCmd("hgetall", 2, rSlow, 1, aRSlow, "2.0.0", "Get all the fields and values in a hash", cmdHGetAll),
		hashCmd("hkeys", 2, rSlow, 1, aRSlow, "2.0.0", "Get all the fields in a hash", cmdHKeys),
		hashCmd("hvals", 2, rSlow, 1, aRSlow, "2.0.0", "Get all the values in a hash", cmdHVals),
		hashCmd("hdel", -3, wFast, 1, aWFast, "2.0.0", "Delete one or more hash fields", cmdHDel),
		hashCmd("hincrby", 4, wDenyFast, 1, aWFast, "2.0.0", "Increment the integer value of a hash field by the given number", cmdHIncrBy),
		hashCmd("hincrbyfloat", 4, wDenyFast, 1, aWFast, "2.6.0", "Increment the float value of a hash field by the given amount", cmdHIncrByFloat),
		hashCmd("hrandfield", -2, rSlow, 1, aRSlow, "6.2.0", "Get one or multiple random fields from a hash", cmdHRandField),
		hashCmd("hscan", -3, rSlow, 1, aRSlow, "2.8.0", "Incrementally iterate hash fields and associated values", cmdHScan),
		hashCmd("hexpire", -6, wFast, 1, aWFast, "7.4.0", "Set expiry for hash field using relative time to expire (seconds)", cmdHExpire),
		hashCmd("hpexpire", -6, wFast, 1, aWFast, "7.4.0", "Set expiry for hash field using relative time to expire (milliseconds)", cmdHExpire),
		hashCmd("hexpireat", -6, wFast, 1, aWFast, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (seconds)", cmdHExpire),
		hashCmd("hpexpireat", -6, wFast, 1, aWFast, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", cmdHExpire),
		hashCmd("httl", -5, rFast, 1, aRFast, "7.4.0", "Returns the TTL in seconds of a hash field", cmdHTTL),
		hashCmd("hpttl", -5, rFast, 1, aRFast, "7.4.0", "Returns the TTL in milliseconds of a hash field", cmdHTTL),
		hashCmd("hexpiretime", -5, rFast, 1, aRFast, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in seconds", cmdHTTL),
		hashCmd("hpexpiretime", -5, rFast, 1, aRFast, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in msec", cmdHTTL),
		hashCmd("hpersist", -5, wFast, 1, aWFast, "7.4.0", "Removes the expiration time for each specified field", cmdHPersist),
	}
}

// cmdHSet is HSET (replies the number of new fields) and HMSET (+OK).
func cmdHSet(c *conn, args [][]byte) {
	if len(args)%2 != 0 {
		c.replyErrString(arityErr(string(args[0])))
		return
	}
	n, err := c.db.HSet(args[1], args[2:], false)
	if err != nil {
		c.replyErr(err)
		return
	}
	typeEvent(c, "hset", args[1])
	if len(args[0]) == 5 { // hmset
		c.w.WriteSimple("OK")
		return
	}
	c.w.WriteInt(int64(n))
}

func cmdHSetNX(c *conn, args [][]byte) {
	n, err := c.db.HSet(args[1], args[2:], true)
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		typeEvent(c, "hset", args[1])
	}
	c.w.WriteInt(int64(n))
}

// hget runs HGet and replies the error, if any (true when it did).
func hget(c *conn, key []byte, fields [][]byte, fn func(i int, v []byte, ok bool)) bool {
	if err := c.db.HGet(key, fields, fn); err != nil {
		c.replyErr(err)
		return true
	}
	return false
}

func cmdHGet(c *conn, args [][]byte) {
	var v []byte
	var found bool
	if !hget(c, args[1], args[2:3], func(_ int, b []byte, ok bool) { v, found = append(c.scratch[:0], b...), ok }) {
		c.scratch = v[:0]
		writeBulkOrNull(c, v, found)
	}
}

func cmdHMGet(c *conn, args [][]byte) {
	var vals [][]byte
	oks := make([]bool, len(args)-2)
	if hget(c, args[1], args[2:], func(i int, b []byte, ok bool) { vals, oks[i] = append(vals, append([]byte(nil), b...)), ok }) {
		return
	}
	c.w.WriteArray(len(vals))
	for i, v := range vals {
		writeBulkOrNull(c, v, oks[i])
	}
}

func cmdHExists(c *conn, args [][]byte) {
	var found bool
	if !hget(c, args[1], args[2:3], func(_ int, _ []byte, ok bool) { found = ok }) {
		c.w.WriteInt(boolInt(found))
	}
}

func cmdHStrLen(c *conn, args [][]byte) {
	n := 0
	if !hget(c, args[1], args[2:3], func(_ int, b []byte, _ bool) { n = len(b) }) {
		c.w.WriteInt(int64(n))
	}
}

func cmdHLen(c *conn, args [][]byte) {
	n, err := c.db.HLen(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(n))
}

// hgetAll replies fields and/or values; the reply is built in a separate
// writer buffer so a WRONGTYPE error can still be the only reply.
func hgetAll(c *conn, key []byte, fields, vals bool) {
	var out [][]byte
	err := c.db.HGetAll(key, func(n int) { out = make([][]byte, 0, n*2) }, func(f, v []byte) {
		if fields {
			out = append(out, append([]byte(nil), f...))
		}
		if vals {
			out = append(out, append([]byte(nil), v...))
		}
	})
	if err != nil {
		c.replyErr(err)
		return
	}
	if fields && vals {
		c.w.WriteMap(len(out) / 2)
		for _, b := range out {
			c.w.WriteBulk(b)
		}
		return
	}
	replyStrings(c, out, false)
}

func cmdHGetAll(c *conn, args [][]byte) { hgetAll(c, args[1], true, true) }
func cmdHKeys(c *conn, args [][]byte)   { hgetAll(c, args[1], true, false) }
func cmdHVals(c *conn, args [][]byte)   { hgetAll(c, args[1], false, true) }

func cmdHDel(c *conn, args [][]byte) {
	n, err := c.db.HDel(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		typeEvent(c, "hdel", args[1])
	}
	c.w.WriteInt(int64(n))
}

func cmdHIncrBy(c *conn, args [][]byte) {
	delta, ok := parseInt(c, args[3])
	if !ok {
		return
	}
	n, err := c.db.HIncrBy(args[1], args[2], delta)
	if err != nil {
		c.replyErr(err)
		return
	}
	typeEvent(c, "hincrby", args[1])
	c.w.WriteInt(n)
}

func cmdHIncrByFloat(c *conn, args [][]byte) {
	delta, err := strconv.ParseFloat(string(args[3]), 64)
	if err != nil && !isRangeErr(err) || math.IsNaN(delta) || len(args[3]) == 0 || isCSpace(args[3][0]) {
		c.replyErrString(notFloatErr)
		return
	}
	if math.IsInf(delta, 0) {
		c.replyErrString("ERR value is NaN or Infinity")
		return
	}
	v, err := c.db.HIncrByFloat(c.scratch[:0], args[1], args[2], delta)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.scratch = v[:0]
	typeEvent(c, "hincrbyfloat", args[1])
	c.w.WriteBulk(v)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// cmdHRandField is HRANDFIELD key [count [WITHVALUES]].
func cmdHRandField(c *conn, args [][]byte) {
	if len(args) == 2 {
		fields, _, err := c.db.HRandField(args[1], 1)
		if err != nil {
			c.replyErr(err)
			return
		}
		writeBulkOrNull(c, first(fields), len(fields) > 0)
		return
	}
	withValues := len(args) == 4 && equalFoldStr(args[3], "withvalues")
	if len(args) > 4 || len(args) == 4 && !withValues {
		c.replyErrString(syntaxErr)
		return
	}
	count, ok := parseRandomCount(c, args[2])
	if !ok {
		return
	}
	if withValues && (count < -math.MaxInt64/2 || count > math.MaxInt64/2) {
		c.replyErrString("ERR value is out of range")
		return
	}
	fields, vals, err := c.db.HRandField(args[1], count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if !withValues {
		replyStrings(c, fields, false)
		return
	}
	if c.proto() == 3 {
		c.w.WriteArray(len(fields))
		for i := range fields {
			c.w.WriteArray(2)
			c.w.WriteBulk(fields[i])
			c.w.WriteBulk(vals[i])
		}
		return
	}
	c.w.WriteArray(2 * len(fields))
	for i := range fields {
		c.w.WriteBulk(fields[i])
		c.w.WriteBulk(vals[i])
	}
}

func first(b [][]byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b[0]
}

func cmdHScan(c *conn, args [][]byte) {
	cursor, o, novalues, ok := parseTypeScan(c, args, true)
	if !ok {
		return
	}
	fields, vals, next, err := c.db.HScan(args[1], cursor, o.match, o.count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if novalues {
		vals = nil
	} else if vals == nil {
		vals = [][]byte{}
	}
	replyScan(c, next, fields, vals)
}

var _ = store.FieldMissing
