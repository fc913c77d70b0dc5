package cacheserver

// Hash field TTL commands (Redis 7.4): HEXPIRE, HPEXPIRE, HEXPIREAT,
// HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST. Times are
// parsed in Unix milliseconds like Redis's hexpireGenericCommand and handed
// to the store as relative TTLs (deadlines are on its monotonic clock);
// the *TIME forms answer wall-clock now plus the remaining TTL.

import (
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/rstrconv"
	"github.com/ringcache/ringcache/internal/store"
)

// hfeMaxAbsMillis is Redis 7.4's HFE_MAX_ABS_TIME_MSEC (EB_EXPIRE_TIME_MAX >> 2).
const hfeMaxAbsMillis = (1<<48 - 1) >> 2

const (
	fieldsMissingErr   = "ERR Mandatory argument FIELDS is missing or not at the right position"
	numFieldsErr       = "ERR Number of fields must be a positive integer"
	numFieldsMatchErr  = "ERR The `numfields` parameter must match the number of arguments"
	negativeExpireErr  = "ERR invalid expire time, must be >= 0"
	hexpireCondOptions = "nx xx gt lt"
)

// parseFields parses "FIELDS numfields field..." at args[at-1:] and
// returns the fields, replying the error when they are malformed.
func parseFields(c *conn, args [][]byte, at int) ([][]byte, bool) {
	if at >= len(args) || !equalFoldStr(args[at-1], "fields") {
		c.replyErrString(fieldsMissingErr)
		return nil, false
	}
	n, ok := rstrconv.ParseInt(args[at])
	if !ok || n < 1 {
		c.replyErrString(numFieldsErr)
		return nil, false
	}
	if n != int64(len(args)-at-1) {
		c.replyErrString(numFieldsMatchErr)
		return nil, false
	}
	return args[at+1:], true
}

// cmdHExpire is HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT key time
// [NX|XX|GT|LT] FIELDS numfields field...
func cmdHExpire(c *conn, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	ms := strings.HasPrefix(name, "hp")
	abs := strings.HasSuffix(name, "at")
	when, ok := parseInt(c, args[2])
	if !ok {
		return
	}
	if when < 0 {
		c.replyErrString(negativeExpireErr)
		return
	}
	if !ms {
		if when > hfeMaxAbsMillis/1000 {
			c.replyErrString(expireTimeErr(name))
			return
		}
		when *= 1000
	}
	if when > hfeMaxAbsMillis {
		c.replyErrString(expireTimeErr(name))
		return
	}
	var ttl time.Duration
	if abs {
		ttl = untilMillis(when)
	} else {
		ttl = msToTTL(when)
	}
	cond, at := store.ExpireAlways, 4
	if o := strings.ToLower(string(args[3])); len(o) == 2 && strings.Contains(hexpireCondOptions, o) {
		cond = map[string]store.ExpireCond{"nx": store.ExpireNX, "xx": store.ExpireXX, "gt": store.ExpireGT, "lt": store.ExpireLT}[o]
		at = 5
	}
	fields, ok := parseFields(c, args, at)
	if !ok {
		return
	}
	res := make([]int, len(fields))
	for i := range res {
		res[i] = store.FieldMissing
	}
	if err := c.db.HExpire(args[1], ttl, cond, fields, func(i, r int) { res[i] = r }); err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteArray(len(res))
	for _, r := range res {
		if r == store.FieldTTLSet || r == store.FieldDeleted {
			typeEvent(c, map[bool]string{true: "hexpired", false: "hexpire"}[r == store.FieldDeleted], args[1])
		}
		c.w.WriteInt(int64(r))
	}
}

// cmdHTTL is HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME key FIELDS numfields field...
func cmdHTTL(c *conn, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	ms := strings.HasPrefix(name, "hp")
	abs := strings.HasSuffix(name, "time")
	fields, ok := parseFields(c, args, 3)
	if !ok {
		return
	}
	res := make([]int64, len(fields))
	for i := range res {
		res[i] = int64(store.NoKey)
	}
	err := c.db.HTTL(args[1], fields, func(i int, d time.Duration, st store.TTLState) {
		if st != store.HasTTL {
			res[i] = int64(st)
			return
		}
		if abs {
			d += time.Duration(time.Now().UnixNano())
		}
		t := max(int64((d+time.Millisecond/2)/time.Millisecond), 0)
		switch {
		case ms:
		case abs:
			t /= 1000
		default:
			t = (t + 999) / 1000
		}
		res[i] = t
	})
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteArray(len(res))
	for _, r := range res {
		c.w.WriteInt(r)
	}
}

func cmdHPersist(c *conn, args [][]byte) {
	fields, ok := parseFields(c, args, 3)
	if !ok {
		return
	}
	res := make([]int, len(fields))
	for i := range res {
		res[i] = store.FieldMissing
	}
	if err := c.db.HPersist(args[1], fields, func(i, r int) { res[i] = r }); err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteArray(len(res))
	for _, r := range res {
		if r == store.FieldPersisted {
			typeEvent(c, "hpersist", args[1])
		}
		c.w.WriteInt(int64(r))
	}
}
