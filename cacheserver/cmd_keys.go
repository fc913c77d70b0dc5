package cacheserver

// Key commands: DEL/UNLINK, EXISTS, TOUCH, TYPE and the EXPIRE/TTL family.
// Expire times are parsed and range-checked in Unix milliseconds exactly as
// Redis 7.0 does, then handed to the store as a relative TTL (the store keeps
// deadlines on a monotonic clock); EXPIRETIME answers wall-clock now plus the
// remaining TTL. This file also holds what every command file shares: the
// SET/GETEX option and expire-time parsing, argInt, readValue.

import (
	"github.com/ringcache/ringcache/internal/rstrconv"

	"math"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// keyCommands returns the per-key commands with Redis 7.0's COMMAND INFO
// metadata (checked against redis-server by TestCommandInfoMatchesRedis).
func keyCommands() []*command {
	return []*command{
		{name: "del", writeOnly: true, arity: -2, flags: []string{"write"}, firstKey: 1, lastKey: -1, step: 1,
			acl: []string{"@keyspace", "@write", "@slow"}, group: "generic", since: "1.0.0",
			summary: "Delete a key", handler: cmdDel},
		{name: "unlink", writeOnly: true, arity: -2, flags: []string{"write", "fast"}, firstKey: 1, lastKey: -1, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "4.0.0",
			summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", handler: cmdDel},
		{name: "exists", arity: -2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: -1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "1.0.0",
			summary: "Determine if a key exists", handler: cmdExists},
		{name: "touch", arity: -2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: -1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "3.2.1",
			summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", handler: cmdTouch},
		{name: "type", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "1.0.0",
			summary: "Determine the type stored at key", handler: cmdType},
		{name: "expire", writeOnly: true, arity: -3, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "1.0.0",
			summary: "Set a key's time to live in seconds", handler: cmdExpire},
		{name: "pexpire", writeOnly: true, arity: -3, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "2.6.0",
			summary: "Set a key's time to live in milliseconds", handler: cmdPExpire},
		{name: "expireat", writeOnly: true, arity: -3, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "1.2.0",
			summary: "Set the expiration for a key as a UNIX timestamp", handler: cmdExpireAt},
		{name: "pexpireat", writeOnly: true, arity: -3, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "2.6.0",
			summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", handler: cmdPExpireAt},
		{name: "expiretime", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "7.0.0",
			summary: "Get the expiration Unix timestamp for a key", handler: cmdExpireTime},
		{name: "pexpiretime", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "7.0.0",
			summary: "Get the expiration Unix timestamp for a key in milliseconds", handler: cmdPExpireTime},
		{name: "ttl", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "1.0.0",
			summary: "Get the time to live for a key in seconds", handler: cmdTTL},
		{name: "pttl", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@read", "@fast"}, group: "generic", since: "2.6.0",
			summary: "Get the time to live for a key in milliseconds", handler: cmdPTTL},
		{name: "persist", writeOnly: true, arity: 2, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "2.2.0",
			summary: "Remove the expiration from a key", handler: cmdPersist},
	}
}

// cmdDel is DEL and UNLINK (freeing is cheap in the arena: no lazy free).
func cmdDel(c *conn, args [][]byte) {
	if !c.notifyOn(ntfGeneric) {
		countKeys(c, args[1:], c.db.Del)
		return
	}
	countKeys(c, args[1:], func(k []byte) bool {
		ok := c.db.Del(k)
		if ok {
			c.notify(ntfGeneric, "del", k)
		}
		return ok
	})
}

func cmdExists(c *conn, args [][]byte) {
	countKeys(c, args[1:], c.db.Exists)
}

func cmdTouch(c *conn, args [][]byte) {
	countKeys(c, args[1:], c.db.Touch)
}

// countKeys replies how many of keys (repeats included) op reported true.
func countKeys(c *conn, keys [][]byte, op func([]byte) bool) {
	var n int64
	for _, k := range keys {
		if op(k) {
			n++
		}
	}
	c.w.WriteInt(n)
}

func cmdType(c *conn, args [][]byte) {
	c.w.WriteSimple(c.db.Type(args[1]))
}

func cmdPersist(c *conn, args [][]byte) {
	ok := c.db.Persist(args[1])
	if ok {
		c.notify(ntfGeneric, "persist", args[1])
	}
	c.w.WriteInt(boolInt(ok))
}

func cmdExpire(c *conn, args [][]byte)    { expireGeneric(c, args, 1000, false, "expire") }
func cmdPExpire(c *conn, args [][]byte)   { expireGeneric(c, args, 1, false, "pexpire") }
func cmdExpireAt(c *conn, args [][]byte)  { expireGeneric(c, args, 1000, true, "expireat") }
func cmdPExpireAt(c *conn, args [][]byte) { expireGeneric(c, args, 1, true, "pexpireat") }

// expireCond is the parsed NX/XX/GT/LT of the EXPIRE family. XX together
// with LT is the one combination the store's single condition cannot say.
type expireCond struct {
	cond store.ExpireCond
	xxLT bool
}

// parseExpireCond parses the options like Redis's
// parseExtendedExpireArgumentsOrReply; errText is "" when they are valid.
func parseExpireCond(opts [][]byte) (expireCond, string) {
	var nx, xx, gt, lt bool
	for _, o := range opts {
		switch strings.ToLower(string(o)) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			return expireCond{}, "ERR Unsupported option " + string(o)
		}
	}
	switch {
	case nx && (xx || gt || lt):
		return expireCond{}, "ERR NX and XX, GT or LT options at the same time are not compatible"
	case gt && lt:
		return expireCond{}, "ERR GT and LT options at the same time are not compatible"
	case nx:
		return expireCond{cond: store.ExpireNX}, ""
	case gt: // GT already fails on a key without TTL, as XX would
		return expireCond{cond: store.ExpireGT}, ""
	case lt:
		return expireCond{cond: store.ExpireLT, xxLT: xx}, ""
	case xx:
		return expireCond{cond: store.ExpireXX}, ""
	}
	return expireCond{cond: store.ExpireAlways}, ""
}

// expireAt parses the time argument of the EXPIRE family (unit 1000 for
// seconds, 1 for milliseconds; abs for EXPIREAT/PEXPIREAT) into a relative
// TTL, negative when the time is already past, with Redis's overflow checks.
func expireAt(arg []byte, unit int64, abs bool, name string) (time.Duration, string) {
	when, ok := rstrconv.ParseInt(arg)
	if !ok {
		return 0, notIntegerErr
	}
	if unit == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return 0, expireTimeErr(name)
		}
		when *= 1000
	}
	now := nowMillis()
	var base int64
	if !abs {
		base = now
	}
	if when > math.MaxInt64-base {
		return 0, expireTimeErr(name)
	}
	if when+base <= now {
		return -1, ""
	}
	if !abs {
		return msToTTL(when), ""
	}
	return untilMillis(when), ""
}

func expireGeneric(c *conn, args [][]byte, unit int64, abs bool, name string) {
	cond, e := parseExpireCond(args[3:])
	if e == "" {
		var ttl time.Duration
		if ttl, e = expireAt(args[2], unit, abs, name); e == "" {
			ok := applyExpire(c, args[1], ttl, cond)
			if ok {
				c.notifyExpire(args[1], ttl)
			}
			c.w.WriteInt(boolInt(ok))
			return
		}
	}
	c.replyErrString(e)
}

// applyExpire runs the store's Expire; XX+LT checks for a TTL and applies
// LT under the slot's lock (or inside the running EXEC's transaction).
func applyExpire(c *conn, key []byte, ttl time.Duration, cond expireCond) bool {
	if !cond.xxLT {
		return c.db.Expire(key, ttl, cond.cond)
	}
	var ok bool
	fn := func(ops store.Ops) {
		if _, st := ops.TTL(key); st == store.HasTTL {
			ok = ops.Expire(key, ttl, store.ExpireLT)
		}
	}
	if tx, inTx := c.db.(*store.Tx); inTx {
		fn(tx)
	} else {
		c.srv.store.Atomic(ring.KeySlotBytes(key), func(tx *store.Tx) { fn(tx) })
	}
	return ok
}

func cmdTTL(c *conn, args [][]byte)         { ttlGeneric(c, args[1], false, false) }
func cmdPTTL(c *conn, args [][]byte)        { ttlGeneric(c, args[1], true, false) }
func cmdExpireTime(c *conn, args [][]byte)  { ttlGeneric(c, args[1], false, true) }
func cmdPExpireTime(c *conn, args [][]byte) { ttlGeneric(c, args[1], true, true) }

// ttlGeneric replies TTL/PTTL (remaining) or EXPIRETIME/PEXPIRETIME (abs:
// wall-clock now + remaining), in ms rounded to the nearest (Redis keeps
// whole-ms deadlines) or in seconds rounded like Redis, or -2 / -1 for a
// missing key / a key without TTL.
func ttlGeneric(c *conn, key []byte, ms, abs bool) {
	d, st := c.db.TTL(key)
	if st != store.HasTTL {
		c.w.WriteInt(int64(st))
		return
	}
	if abs {
		d += time.Duration(time.Now().UnixNano())
	}
	t := max(int64((d+time.Millisecond/2)/time.Millisecond), 0)
	if !ms {
		t = (t + 500) / 1000
	}
	c.w.WriteInt(t)
}

// Option flags of SET and GETEX, as Redis's OBJ_SET_* / OBJ_* flags.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT
)

const optExpire = optEX | optPX | optEXAT | optPXAT

// parseStringOpts parses SET's (isSet) or GETEX's options like Redis's
// parseExtendedStringArgumentsOrReply: it returns the flags and the expire
// argument, or ok=false for a syntax error.
func parseStringOpts(opts [][]byte, isSet bool) (flags int, expire []byte, ok bool) {
	for j := 0; j < len(opts); j++ {
		o := strings.ToLower(string(opts[j]))
		hasNext := j+1 < len(opts)
		var f int
		switch {
		case o == "nx" && isSet && flags&optXX == 0:
			f = optNX
		case o == "xx" && isSet && flags&optNX == 0:
			f = optXX
		case o == "get" && isSet:
			f = optGet
		case o == "keepttl" && isSet && flags&(optPersist|optExpire) == 0:
			f = optKeepTTL
		case o == "persist" && !isSet && flags&(optExpire|optKeepTTL) == 0:
			f = optPersist
		case hasNext && flags&(optKeepTTL|optPersist) == 0:
			f = expireOpt(o, flags)
		}
		if f == 0 {
			return 0, nil, false
		}
		flags |= f
		if f&optExpire != 0 {
			expire = opts[j+1]
			j++
		}
	}
	return flags, expire, true
}

// expireOpt returns the flag of an EX/PX/EXAT/PXAT option compatible with
// flags (the same unit may repeat, as in Redis), or 0.
func expireOpt(o string, flags int) int {
	var f int
	switch o {
	case "ex":
		f = optEX
	case "px":
		f = optPX
	case "exat":
		f = optEXAT
	case "pxat":
		f = optPXAT
	}
	if flags&optExpire&^f != 0 {
		return 0
	}
	return f
}

// nowMillis is the wall clock in Unix milliseconds (Redis's mstime()).
func nowMillis() int64 { return time.Now().UnixMilli() }

// maxTTL is the longest TTL handed to the store (~146 years): Redis accepts
// expire times up to year 292 million, a monotonic deadline cannot.
const maxTTL = time.Duration(1 << 62)

// msToTTL converts a relative time in milliseconds to a Duration, clamped
// to maxTTL.
func msToTTL(ms int64) time.Duration {
	if ms > int64(maxTTL/time.Millisecond) {
		return maxTTL
	}
	return time.Duration(ms) * time.Millisecond
}

// expireTTL converts the expire argument of SET/GETEX/SETEX/PSETEX to a
// relative TTL as Redis's getExpireMillisecondsOrReply (flags say the unit
// and whether it is absolute). A TTL <= 0 means an absolute time already
// past. errText is Redis's error for the command name, or "".
func expireTTL(arg []byte, flags int, name string) (ttl time.Duration, errText string) {
	v, ok := rstrconv.ParseInt(arg)
	if !ok {
		return 0, notIntegerErr
	}
	seconds := flags&(optEX|optEXAT) != 0
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		return 0, expireTimeErr(name)
	}
	if seconds {
		v *= 1000
	}
	now := nowMillis()
	if flags&(optEX|optPX) != 0 {
		if v > math.MaxInt64-now {
			return 0, expireTimeErr(name)
		}
		return msToTTL(v), ""
	}
	return untilMillis(v), ""
}

// untilMillis is the time from now until the Unix time in milliseconds
// when, computed in nanoseconds (so EXPIRETIME reads back exactly when),
// clamped to maxTTL; <= 0 when it is past.
func untilMillis(when int64) time.Duration {
	now := time.Now().UnixNano()
	if when > (math.MaxInt64-int64(maxTTL))/int64(time.Millisecond) {
		return maxTTL
	}
	return min(time.Duration(when*int64(time.Millisecond)-now), maxTTL)
}

// expireTimeErr is Redis's "invalid expire time" error for a command.
func expireTimeErr(name string) string {
	return "ERR invalid expire time in '" + name + "' command"
}

// readValue reads key for a command, honouring CLIENT NO-TOUCH, into the
// connection's scratch buffer (valid until the next readValue).
func readValue(c *conn, key []byte) ([]byte, bool) {
	var v []byte
	var ok bool
	if c.noTouch {
		v, ok = c.db.Peek(c.scratch[:0], key)
	} else {
		v, ok = c.db.Get(c.scratch[:0], key)
	}
	c.scratch = v[:0]
	if !ok {
		c.notify(ntfKeyMiss, "keymiss", key)
	}
	return v, ok
}

// writeBulkOrNull replies v, or the null bulk when !ok.
func writeBulkOrNull(c *conn, v []byte, ok bool) {
	if ok {
		c.w.WriteBulk(v)
	} else {
		c.w.WriteNull()
	}
}

// boolInt is 1 for true, 0 for false.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
