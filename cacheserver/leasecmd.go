package cacheserver

import (
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// leaseCommands are LEASEGET, LEASESET and LEASEDEL (lease.go), ringcache
// extensions. Their key is argument 1, so a clustered node forwards them to
// the key's owner like GET and SET.
func leaseCommands() []*command {
	return []*command{
		{name: "leaseget", arity: -3, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@string", "@fast"}, group: "string", since: Version,
			summary: "Get the value of a key, or a lease to fill it on a miss", handler: cmdLeaseGet},
		{name: "leaseset", arity: -4, flags: []string{"write", "denyoom", "no-multi"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@string", "@slow"}, group: "string", since: Version,
			summary: "Set the value of an absent key with the live lease token", handler: cmdLeaseSet, ownLease: true},
		{name: "leasedel", arity: 3, flags: []string{"fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@string", "@fast"}, group: "string", since: Version,
			summary: "Give a lease back without setting the key", handler: cmdLeaseDel},
	}
}

// cmdLeaseGet: LEASEGET key lease-ms [EARLY]. Replies
//
//	["VALUE", value, pttl]  the key exists (pttl as PTTL: -1 without expiry)
//	["VALUE", value, pttl, token]  with EARLY: the key exists, and token (0
//	                        if another caller holds the lease) leases it to
//	                        refresh it before it expires
//	["LEASE", token]        a miss: the caller should load the value and LEASESET it
//	["WAIT", ms]            a miss another caller holds the lease for, up to ms more
//	["NOLEASE"]             a miss, and the lease table is full
func cmdLeaseGet(c *conn, args [][]byte) {
	ms, err := strconv.ParseInt(string(args[2]), 10, 64)
	early := len(args) == 4 && strings.EqualFold(string(args[3]), "early")
	switch {
	case err != nil:
		c.replyErrString(notIntegerErr)
		return
	case ms <= 0:
		c.replyErrString("ERR invalid expire time in 'leaseget' command")
		return
	case len(args) > 3 && !early:
		c.replyErrString(syntaxErr)
		return
	}
	key, slot, period := args[1], ring.KeySlotBytes(args[1]), time.Duration(ms)*time.Millisecond
	v, ok := readValue(c, key)
	if !ok {
		o, tok, wait := c.srv.leases.grant(key, slot, period, false)
		writeLeaseGrant(c, o, tok, wait)
		return
	}
	d, st := c.db.TTL(key)
	pttl := int64(st)
	if st == store.HasTTL {
		pttl = max(d.Milliseconds(), 1)
	}
	c.w.WriteArray(3 + int(boolInt(early)))
	c.w.WriteSimple("VALUE")
	c.w.WriteBulk(v)
	c.w.WriteInt(pttl)
	if early {
		_, tok, _ := c.srv.leases.grant(key, slot, period, true)
		c.w.WriteInt(tok)
	}
}

func writeLeaseGrant(c *conn, o leaseOutcome, tok int64, wait time.Duration) {
	switch o {
	case leaseGranted:
		c.w.WriteArray(2)
		c.w.WriteSimple("LEASE")
		c.w.WriteInt(tok)
	case leaseWait:
		c.w.WriteArray(2)
		c.w.WriteSimple("WAIT")
		c.w.WriteInt(max(wait.Milliseconds(), 1))
	default:
		c.w.WriteArray(1)
		c.w.WriteSimple("NOLEASE")
	}
}

// cmdLeaseSet: LEASESET key token value [PX ms]. Sets key to value, with
// the TTL given, only if token is the key's live lease and, for a lease
// granted on a miss, the key still does not exist (an EARLY lease, granted
// on a key that existed, overwrites it: any write since the grant voided
// it); the token is consumed either way. Replies OK, or null when
// refused. The token check and the write run under the slot's lock, and
// every other write voids the lease before it runs (conn.call).
func cmdLeaseSet(c *conn, args [][]byte) {
	tok, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.replyErrString(notIntegerErr)
		return
	}
	ttl, e := leaseSetTTL(args[4:])
	if e != "" {
		c.replyErrString(e)
		return
	}
	key, slot := args[1], ring.KeySlotBytes(args[1])
	var written bool
	c.srv.store.Atomic(slot, func(tx *store.Tx) {
		if live, early := c.srv.leases.take(key, slot, tok); live {
			o := store.SetOptions{Cond: store.SetNX, TTL: ttl}
			if early {
				o.Cond = store.SetAlways
			}
			_, _, written, err = tx.Set(nil, key, args[3], o)
		}
	})
	switch {
	case err != nil:
		c.replyErr(err)
	case written:
		c.w.WriteSimple("OK")
	default:
		writeBulkOrNull(c, nil, false)
	}
}

// leaseSetTTL parses LEASESET's optional "PX ms".
func leaseSetTTL(opts [][]byte) (time.Duration, string) {
	if len(opts) == 0 {
		return 0, ""
	}
	if len(opts) != 2 || !strings.EqualFold(string(opts[0]), "px") {
		return 0, syntaxErr
	}
	ms, err := strconv.ParseInt(string(opts[1]), 10, 64)
	switch {
	case err != nil:
		return 0, notIntegerErr
	case ms <= 0 || ms > int64(time.Duration(1<<62)/time.Millisecond):
		return 0, "ERR invalid expire time in 'leaseset' command"
	}
	return time.Duration(ms) * time.Millisecond, ""
}

// cmdLeaseDel: LEASEDEL key token gives a lease back (the load failed, or
// found nothing) so waiters need not wait for it to expire. Replies 1 if
// token was the live lease, else 0.
func cmdLeaseDel(c *conn, args [][]byte) {
	tok, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.replyErrString(notIntegerErr)
		return
	}
	if live, _ := c.srv.leases.take(args[1], ring.KeySlotBytes(args[1]), tok); live {
		c.w.WriteInt(1)
	} else {
		c.w.WriteInt(0)
	}
}

// voidLeases runs before a write command: the keys it writes lose their
// leases (a write without keys, FLUSHALL or FLUSHDB, voids them all).
func (c *conn) voidLeases(cmd *command, args [][]byte) {
	if cmd.allStore {
		c.srv.leases.voidAll()
		return
	}
	c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
	c.srv.leases.void(c.keyBuf)
	clear(c.keyBuf)
}
