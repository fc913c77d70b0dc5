package cacheserver

// String commands: GET/SET family, MGET/MSET, APPEND, ranges and the INCR
// family. Each handler parses its arguments exactly as Redis 7.0 does (same
// errors, same order of checks), makes one call on c.db and writes the reply.

import (
	"bytes"
	"github.com/ringcache/ringcache/internal/rstrconv"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

// stringCommands returns the string commands with Redis 7.0's COMMAND INFO
// metadata (checked against redis-server by TestCommandInfoMatchesRedis).
func stringCommands() []*command {
	return []*command{
		{name: "get", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Get the value of a key", handler: cmdGet},
		{name: "set", writeOnly: true, arity: -3, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: "1.0.0",
			summary: "Set the string value of a key", handler: cmdSet},
		{name: "setnx", writeOnly: true, arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Set the value of a key, only if the key does not exist", handler: cmdSetNX},
		{name: "setex", writeOnly: true, arity: 4, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: "2.0.0",
			summary: "Set the value and expiration of a key", handler: cmdSetEx},
		{name: "psetex", writeOnly: true, arity: 4, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: "2.6.0",
			summary: "Set the value and expiration in milliseconds of a key", handler: cmdPSetEx},
		{name: "getset", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Set the string value of a key and return its old value", handler: cmdGetSet},
		{name: "getdel", arity: 2, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "6.2.0",
			summary: "Get the value of a key and delete the key", handler: cmdGetDel},
		{name: "getex", arity: -2, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "6.2.0",
			summary: "Get the value of a key and optionally set its expiration", handler: cmdGetEx},
		{name: "mget", arity: -2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: -1, step: 1,
			acl: []string{"@read", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Get the values of all the given keys", handler: cmdMGet},
		{name: "mset", writeOnly: true, arity: -3, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: -1, step: 2,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: "1.0.1",
			summary: "Set multiple keys to multiple values", handler: cmdMSet},
		{name: "msetnx", writeOnly: true, arity: -3, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: -1, step: 2,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: "1.0.1",
			summary: "Set multiple keys to multiple values, only if none of the keys exist", handler: cmdMSetNX},
		{name: "append", writeOnly: true, arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "2.0.0",
			summary: "Append a value to a key", handler: cmdAppend},
		{name: "strlen", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@string", "@fast"}, group: "string", since: "2.2.0",
			summary: "Get the length of the value stored in a key", handler: cmdStrLen},
		{name: "getrange", arity: 4, flags: []string{"readonly"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@string", "@slow"}, group: "string", since: "2.4.0",
			summary: "Get a substring of the string stored at a key", handler: cmdGetRange},
		{name: "substr", arity: 4, flags: []string{"readonly"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@string", "@slow"}, group: "string", since: "1.0.0",
			summary: "Get a substring of the string stored at a key", handler: cmdGetRange},
		{name: "setrange", writeOnly: true, arity: 4, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: "2.2.0",
			summary: "Overwrite part of a string at key starting at the specified offset", handler: cmdSetRange},
		{name: "incr", arity: 2, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Increment the integer value of a key by one", handler: cmdIncr},
		{name: "incrby", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Increment the integer value of a key by the given amount", handler: cmdIncrBy},
		{name: "decr", arity: 2, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Decrement the integer value of a key by one", handler: cmdDecr},
		{name: "decrby", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "1.0.0",
			summary: "Decrement the integer value of a key by the given number", handler: cmdDecrBy},
		{name: "incrbyfloat", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@fast"}, group: "string", since: "2.6.0",
			summary: "Increment the float value of a key by the given amount", handler: cmdIncrByFloat},
	}
}

func cmdGet(c *conn, args [][]byte) {
	v, ok := readValue(c, args[1])
	if !ok && missWrongType(c, args[1]) {
		return
	}
	writeBulkOrNull(c, v, ok)
}

func cmdSet(c *conn, args [][]byte) {
	flags, expire, ok := parseStringOpts(args[3:], true)
	if !ok {
		c.replyErrString(syntaxErr)
		return
	}
	o := store.SetOptions{KeepTTL: flags&optKeepTTL != 0, Get: flags&optGet != 0}
	if flags&optNX != 0 {
		o.Cond = store.SetNX
	} else if flags&optXX != 0 {
		o.Cond = store.SetXX
	}
	if expire != nil {
		ttl, e := expireTTL(expire, flags, "set")
		if e != "" {
			c.replyErrString(e)
			return
		}
		o.TTL = expiredAsNegative(ttl)
	}
	setAndReply(c, args[1], args[2], o)
}

// expiredAsNegative maps an absolute expire time already past (ttl <= 0) to
// the store's "already expired" TTL (< 0); 0 would mean "no expiry".
func expiredAsNegative(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return -1
	}
	return ttl
}

// setAndReply runs c.db.Set and writes SET's reply: the old value with GET,
// else OK, or null when NX/XX prevented the write.
func setAndReply(c *conn, key, val []byte, o store.SetOptions) {
	absent := c.keyAbsent(key)
	old, oldExists, written, err := c.db.Set(c.scratch[:0], key, val, o)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.scratch = old[:0]
	if written {
		c.notifySet(absent, key, o.TTL != 0)
	}
	switch {
	case o.Get:
		writeBulkOrNull(c, old, oldExists)
	case written:
		c.w.WriteSimple("OK")
	default:
		c.w.WriteNull()
	}
}

func cmdSetNX(c *conn, args [][]byte) {
	_, _, written, err := c.db.Set(nil, args[1], args[2], store.SetOptions{Cond: store.SetNX})
	if err != nil {
		c.replyErr(err)
		return
	}
	if written {
		c.notifySet(true, args[1], false) // SETNX writes only a new key
	}
	c.w.WriteInt(boolInt(written))
}

func cmdSetEx(c *conn, args [][]byte)  { setWithExpire(c, args, optEX, "setex") }
func cmdPSetEx(c *conn, args [][]byte) { setWithExpire(c, args, optPX, "psetex") }

// setWithExpire is SETEX/PSETEX: key, relative expire in unit, value.
func setWithExpire(c *conn, args [][]byte, unit int, name string) {
	ttl, e := expireTTL(args[2], unit, name)
	if e != "" {
		c.replyErrString(e)
		return
	}
	setAndReply(c, args[1], args[3], store.SetOptions{TTL: ttl})
}

func cmdGetSet(c *conn, args [][]byte) {
	setAndReply(c, args[1], args[2], store.SetOptions{Get: true})
}

func cmdGetDel(c *conn, args [][]byte) {
	v, ok := c.db.GetDel(c.scratch[:0], args[1])
	c.scratch = v[:0]
	if ok {
		c.notify(ntfGeneric, "del", args[1])
	}
	if !ok && missWrongType(c, args[1]) {
		return
	}
	writeBulkOrNull(c, v, ok)
}

// cmdGetEx checks, like Redis, the options' syntax first, then the key's
// existence (a missing key replies null even with a bad expire value), then
// the expire value.
func cmdGetEx(c *conn, args [][]byte) {
	flags, expire, ok := parseStringOpts(args[2:], false)
	if !ok {
		c.replyErrString(syntaxErr)
		return
	}
	if expire == nil && flags&optPersist == 0 {
		cmdGet(c, args)
		return
	}
	var ttl time.Duration
	var e string
	if expire != nil {
		ttl, e = expireTTL(expire, flags, "getex")
	}
	if e != "" {
		if v, ok := readValue(c, args[1]); !ok {
			writeBulkOrNull(c, v, ok)
		} else {
			c.replyErrString(e)
		}
		return
	}
	hadTTL := flags&optPersist != 0 && c.notifyOn(ntfGeneric) && c.hasTTL(args[1])
	v, found := c.db.GetEx(c.scratch[:0], args[1], expiredAsNegative(ttl), flags&optPersist != 0, expire != nil)
	c.scratch = v[:0]
	switch {
	case found && expire != nil:
		c.notifyExpire(args[1], ttl)
	case found && hadTTL:
		c.notify(ntfGeneric, "persist", args[1])
	}
	if !found && missWrongType(c, args[1]) {
		return
	}
	writeBulkOrNull(c, v, found)
}

func cmdMGet(c *conn, args [][]byte) {
	c.w.WriteArray(len(args) - 1)
	for _, k := range args[1:] {
		v, ok := readValue(c, k)
		writeBulkOrNull(c, v, ok)
	}
}

func cmdMSet(c *conn, args [][]byte) {
	if len(args)%2 == 0 {
		c.replyErrString(arityErr("mset"))
		return
	}
	absent := c.absentPairs(args[1:])
	if err := c.db.MSet(args[1:]); err != nil {
		c.replyErr(err)
		return
	}
	c.notifyPairs(args[1:], absent)
	c.w.WriteSimple("OK")
}

func cmdMSetNX(c *conn, args [][]byte) {
	if len(args)%2 == 0 {
		c.replyErrString(arityErr("msetnx"))
		return
	}
	ok, err := msetnx(c, args[1:])
	if err != nil {
		c.replyErr(err)
		return
	}
	if ok && c.notifyOn(ntfString|ntfNew) {
		absent := make([]bool, len(args)/2) // MSETNX writes only new keys
		for i := range absent {
			absent[i] = true
		}
		c.notifyPairs(args[1:], absent)
	}
	c.w.WriteInt(boolInt(ok))
}

// msetnx sets k1 v1 k2 v2 ... only if none of the keys exists, atomically
// even when the keys span slots (allowed on one node, as in Redis: the store
// locks every shard involved). Inside EXEC, c.db is bound to one slot.
func msetnx(c *conn, kvs [][]byte) (bool, error) {
	return c.db.MSetNX(kvs)
}

func cmdAppend(c *conn, args [][]byte) {
	absent := c.keyAbsent(args[1])
	n, err := c.db.Append(args[1], args[2])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.notifyNew(absent, args[1])
	c.notify(ntfString, "append", args[1])
	c.w.WriteInt(int64(n))
}

func cmdStrLen(c *conn, args [][]byte) {
	n := c.db.StrLen(args[1])
	if n == 0 && missWrongType(c, args[1]) {
		return
	}
	c.w.WriteInt(int64(n))
}

// cmdGetRange is GETRANGE and its alias SUBSTR.
func cmdGetRange(c *conn, args [][]byte) {
	start, ok1 := rstrconv.ParseInt(args[2])
	end, ok2 := rstrconv.ParseInt(args[3])
	if !ok1 || !ok2 {
		c.replyErrString(notIntegerErr)
		return
	}
	v := c.db.GetRange(c.scratch[:0], args[1], start, end)
	c.scratch = v[:0]
	if len(v) == 0 && missWrongType(c, args[1]) {
		return
	}
	c.w.WriteBulk(v)
}

func cmdSetRange(c *conn, args [][]byte) {
	off, ok := rstrconv.ParseInt(args[2])
	if !ok {
		c.replyErrString(notIntegerErr)
		return
	}
	if off < 0 {
		c.replyErrString("ERR offset is out of range")
		return
	}
	if len(args[3]) > 0 && off > c.srv.cfg.MaxBulkLen-int64(len(args[3])) {
		c.replyErrString(maxSizeErr) // checked here, before offset+len can overflow
		return
	}
	absent := c.keyAbsent(args[1])
	n, err := c.db.SetRange(args[1], off, args[3])
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(args[3]) > 0 {
		c.notifyNew(absent, args[1])
		c.notify(ntfString, "setrange", args[1])
	}
	c.w.WriteInt(int64(n))
}

func cmdIncr(c *conn, args [][]byte) { incrAndReply(c, args[1], 1) }
func cmdDecr(c *conn, args [][]byte) { incrAndReply(c, args[1], -1) }

func cmdIncrBy(c *conn, args [][]byte) {
	if d, ok := rstrconv.ParseInt(args[2]); ok {
		incrAndReply(c, args[1], d)
		return
	}
	c.replyErrString(notIntegerErr)
}

func cmdDecrBy(c *conn, args [][]byte) {
	d, ok := rstrconv.ParseInt(args[2])
	switch {
	case !ok:
		c.replyErrString(notIntegerErr)
	case d == math.MinInt64:
		c.replyErrString("ERR decrement would overflow")
	default:
		incrAndReply(c, args[1], -d)
	}
}

func incrAndReply(c *conn, key []byte, delta int64) {
	absent := c.keyAbsent(key)
	n, err := c.db.IncrBy(key, delta)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.notifyNew(absent, key)
	c.notify(ntfString, "incrby", key)
	c.w.WriteInt(n)
}

// cmdIncrByFloat computes in 80-bit long double precision like Redis (see
// longDouble). The arithmetic (~10µs) runs outside the shard lock: the value
// is read, the result computed, and Modify writes it only if the value is
// still the one read (compare-and-swap, keeping the TTL); after a few lost
// races the computation runs under the lock.
func cmdIncrByFloat(c *conn, args [][]byte) {
	incr, incrOK := parseLongDouble(args[2])
	absent := c.keyAbsent(args[1])
	for try := 0; ; try++ {
		optimistic := try < 4
		var cur, out []byte
		var exists bool
		var errText string
		if optimistic {
			cur, exists = c.db.Peek(nil, args[1])
			out, errText = incrFloatText(cur, exists, incr, incrOK)
		}
		applied := false
		err := c.db.Modify(args[1], func(old []byte, ex bool) ([]byte, bool) {
			if !optimistic {
				out, errText = incrFloatText(old, ex, incr, incrOK)
			} else if ex != exists || !bytes.Equal(old, cur) {
				return nil, false
			}
			applied = true
			return out, errText == ""
		})
		switch {
		case err != nil:
			c.replyErr(err)
		case !applied:
			continue
		case errText != "":
			c.replyErrString(errText)
		default:
			c.notifyNew(absent, args[1])
			c.notify(ntfString, "incrbyfloat", args[1])
			c.w.WriteBulk(out)
		}
		return
	}
}

// incrFloatText returns the new text of a value cur (exists) plus incr, or
// Redis's error text.
func incrFloatText(cur []byte, exists bool, incr *big.Float, incrOK bool) ([]byte, string) {
	v, ok := newLongDouble(), true
	if exists {
		v, ok = parseLongDouble(cur)
	}
	if !ok || !incrOK {
		return nil, notFloatErr
	}
	return addLongDouble(nil, v, incr)
}

// Redis 7.0 computes INCRBYFLOAT in C long double (x87 80-bit extended: a
// 64-bit mantissa, exponents up to 2^16383), parses with strtold and formats
// with "%.17Lf" trimming trailing zeros. big.Float with 64 bits of precision
// and round-to-nearest-even reproduces that arithmetic exactly; the exponent
// range is checked by hand.
const (
	ldPrec    = 64
	ldMaxExp  = 16384  // |x| >= 2^16384 overflows (MantExp's exponent)
	ldMinExp  = -16444 // below the smallest subnormal: strtold underflows
	ldMaxChar = 5 * 1024
)

func newLongDouble() *big.Float {
	return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
}

// parseLongDouble parses b like Redis's string2ld: strtold syntax (decimal,
// hexadecimal, inf, infinity), no leading space, whole string, no NaN, and
// no overflow or underflow to zero.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChar || isCSpace(b[0]) {
		return nil, false
	}
	s := string(b)
	if inf, neg := isInfString(s); inf {
		return newLongDouble().SetInf(neg), true
	}
	if !strtoldSyntax(s) {
		return nil, false
	}
	f, _, err := newLongDouble().Parse(s, 0)
	if err != nil {
		return nil, false
	}
	if exp := f.MantExp(nil); f.Sign() != 0 && (exp > ldMaxExp || exp < ldMinExp) {
		return nil, false
	}
	return f, true
}

func isCSpace(ch byte) bool {
	return ch == ' ' || (ch >= '\t' && ch <= '\r')
}

// isInfString reports whether s is strtold's "inf" or "infinity", any case,
// with an optional sign.
func isInfString(s string) (inf, neg bool) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity"), neg
}

// strtoldSyntax reports whether strtold would consume all of s as a finite
// decimal or hexadecimal number.
func strtoldSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digit, exp := isDecDigit, byte('e')
	if len(s)-i > 2 && s[i] == '0' && s[i+1]|0x20 == 'x' {
		i += 2
		digit, exp = isHexDigit, 'p'
	}
	n := 0
	for ; i < len(s) && digit(s[i]); i++ {
		n++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && digit(s[i]); i++ {
			n++
		}
	}
	if n == 0 {
		return false
	}
	if i < len(s) && s[i]|0x20 == exp {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		m := i
		for i < len(s) && isDecDigit(s[i]) {
			i++
		}
		if i == m {
			return false
		}
	}
	return i == len(s)
}

func isDecDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func isHexDigit(ch byte) bool {
	return isDecDigit(ch) || (ch|0x20 >= 'a' && ch|0x20 <= 'f')
}

// addLongDouble appends the Redis formatting of a+b to dst, or returns the
// NaN/Infinity error text.
func addLongDouble(dst []byte, a, b *big.Float) ([]byte, string) {
	if a.IsInf() || b.IsInf() {
		return dst, nanOrInfErr
	}
	sum := newLongDouble().Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		return dst, nanOrInfErr
	}
	s := sum.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return append(dst, s...), ""
}
