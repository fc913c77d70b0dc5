package cacheserver

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// Leases (LEASEGET, LEASESET, LEASEDEL), after memcache's (Nishtala et al.,
// "Scaling Memcache at Facebook", 2013). A LEASEGET that misses hands out a
// token, at most one live token per key: other LEASEGETs of the key get
// WAIT until the holder writes the value with LEASESET or the lease
// expires. LEASESET stores the value only with the live token and only
// while the key is still absent. Every write to the key (SET, DEL, EXPIRE,
// FLUSHALL, ...) voids its lease before the write runs, and LEASESET checks
// and consumes the token and writes under the key's slot lock, so a value
// read from the origin before a concurrent update + DEL can never be
// written back after that DEL: either the LEASESET ran first (and the DEL
// removes its value), or the DEL voided the token (and the LEASESET is
// refused).
//
// The table lives with the slots: leases of slots whose owner changes are
// dropped with the slots' data on a ring change (a token is then refused by
// the new owner, which never issued it). Leases are not replicated
// (ringcache has no replication): a node that dies takes its leases with
// it, and the next LEASEGET on the new owner issues a new token. The table
// is bounded (LeaseConfig.MaxKeys); when it is full a miss is answered
// NOLEASE and the client loads without writing back.

// LeaseConfig bounds the lease table.
type LeaseConfig struct {
	// MaxKeys is the most keys with an outstanding lease; past it a miss is
	// answered NOLEASE. Default 65536; each lease costs about 100 bytes
	// plus its key.
	MaxKeys int
	// MaxTTL caps the lease period a LEASEGET asks for. Default 10s.
	MaxTTL time.Duration
}

// Lease defaults.
const (
	DefaultLeaseMaxKeys = 65536
	DefaultLeaseMaxTTL  = 10 * time.Second
	leaseShardCount     = 64
)

// DefaultLeaseConfig returns the documented defaults.
func DefaultLeaseConfig() LeaseConfig {
	return LeaseConfig{MaxKeys: DefaultLeaseMaxKeys, MaxTTL: DefaultLeaseMaxTTL}
}

// withDefaults fills zero fields and checks the others.
func (lc LeaseConfig) withDefaults() (LeaseConfig, error) {
	if lc.MaxKeys == 0 {
		lc.MaxKeys = DefaultLeaseMaxKeys
	}
	if lc.MaxTTL == 0 {
		lc.MaxTTL = DefaultLeaseMaxTTL
	}
	if lc.MaxKeys < 0 || lc.MaxTTL < time.Millisecond {
		return lc, errors.New("cacheserver: Leases.MaxKeys must be >= 0 and Leases.MaxTTL >= 1ms")
	}
	return lc, nil
}

// leaseTable holds the outstanding leases, sharded by slot.
type leaseTable struct {
	active   atomic.Int64 // entries in the table (expired ones included until removed)
	perShard int
	maxTTL   time.Duration
	start    time.Time
	next     atomic.Int64 // last token issued
	shards   [leaseShardCount]leaseShard
}

type leaseShard struct {
	mu sync.Mutex
	m  map[string]leaseEntry
}

type leaseEntry struct {
	token int64
	until int64 // monotonic ns since start
	slot  uint16
	early bool // granted on a key that existed (LEASEGET ... EARLY): LEASESET may overwrite
}

// leaseOutcome is a LEASEGET miss's answer.
type leaseOutcome int

const (
	leaseGranted leaseOutcome = iota // the caller holds token
	leaseWait                        // another caller holds it for wait more
	leaseFull                        // the table is full: no lease
)

func newLeaseTable(lc LeaseConfig) *leaseTable {
	t := &leaseTable{perShard: max(lc.MaxKeys/leaseShardCount, 1), maxTTL: lc.MaxTTL, start: time.Now()}
	// A random start: tokens of a restarted node, or of another node that
	// owned the slot before, are not accepted by chance.
	t.next.Store(rand.Int64N(1 << 62))
	for i := range t.shards {
		t.shards[i].m = make(map[string]leaseEntry)
	}
	return t
}

func (t *leaseTable) now() int64 { return int64(time.Since(t.start)) }

func (t *leaseTable) shard(slot int) *leaseShard { return &t.shards[slot%leaseShardCount] }

// grant gives the caller a lease on key for ttl (capped by MaxTTL) unless
// another live lease exists or the table is full; early marks a lease to
// refresh a key that exists.
func (t *leaseTable) grant(key []byte, slot int, ttl time.Duration, early bool) (leaseOutcome, int64, time.Duration) {
	now := t.now()
	sh := t.shard(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, found := sh.m[string(key)]
	if found && now < e.until {
		return leaseWait, 0, time.Duration(e.until - now)
	}
	if !found && len(sh.m) >= t.perShard && t.purge(sh, now) == 0 {
		return leaseFull, 0, 0
	}
	tok := t.next.Add(1)
	sh.m[string(key)] = leaseEntry{token: tok, until: now + int64(min(ttl, t.maxTTL)), slot: uint16(slot), early: early}
	if !found {
		t.active.Add(1)
	}
	return leaseGranted, tok, 0
}

// purge removes sh's expired leases (sh locked) and returns how many.
func (t *leaseTable) purge(sh *leaseShard, now int64) int {
	n := 0
	for k, e := range sh.m {
		if now >= e.until {
			delete(sh.m, k)
			n++
		}
	}
	t.active.Add(int64(-n))
	return n
}

// take removes key's lease if token is its live token, and reports whether
// it was, and whether it was an early (refresh) lease. LEASESET and
// LEASEDEL both use it.
func (t *leaseTable) take(key []byte, slot int, token int64) (live, early bool) {
	sh := t.shard(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, found := sh.m[string(key)]
	if !found || e.token != token {
		return false, false
	}
	delete(sh.m, string(key))
	t.active.Add(-1)
	return t.now() < e.until, e.early
}

// void removes the leases of keys: they are about to be written.
func (t *leaseTable) void(keys [][]byte) {
	for _, k := range keys {
		sh := t.shard(ring.KeySlotBytes(k))
		sh.mu.Lock()
		if _, found := sh.m[string(k)]; found {
			delete(sh.m, string(k))
			t.active.Add(-1)
		}
		sh.mu.Unlock()
	}
}

// dropSlots removes the leases of the slots marked in changed (a ring
// change moved them to or from this node).
func (t *leaseTable) dropSlots(changed []bool) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			if changed[e.slot] {
				delete(sh.m, k)
				t.active.Add(-1)
			}
		}
		sh.mu.Unlock()
	}
}

// voidAll removes every lease (FLUSHALL, FLUSHDB).
func (t *leaseTable) voidAll() {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		t.active.Add(int64(-len(sh.m)))
		clear(sh.m)
		sh.mu.Unlock()
	}
}
