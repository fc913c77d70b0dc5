package client

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/dgraph-io/ristretto/v2"

	"github.com/ringcache/ringcache/ring"
)

// keySeqBits sizes the table of invalidation counters: 2^20 counters (4 MiB).
// Two keys share a counter with probability 2^-20, and then an invalidation
// of one needlessly hides the other's L1 entry: a lost hit, never a stale one.
const keySeqBits = 20

// entry is an L1 value with what is needed to tell whether it is still
// valid: the invalidation counter of its key and the epoch of its slot,
// both as they were when the fill started.
type entry struct {
	key        string // for the expiry sweep (ristretto keeps only hashes)
	value      []byte
	negative   bool  // the origin said "not found"
	freshUntil int64 // monotonic ns; after it the entry only serves stale-if-error
	expires    int64 // monotonic ns when the cluster's copy expires; 0: no TTL (early refresh)
	seq        uint32
	epoch      uint32
	hidx       uint32
	slot       uint16
}

// l1 is the in-process tier. Coherence does not depend on ristretto's
// asynchronous Set ever landing, nor on the order it lands in: an entry is
// valid only while its key's invalidation counter and its slot's epoch still
// equal the values captured before the fill read the value. An invalidation
// (a server push, or a write by this client) bumps the counter first, so a
// fill that raced with it installs an entry that is already invisible.
//
// Entries are stored without a ristretto TTL: ristretto would then read the
// wall clock on every Get. Freshness is checked here against the client's
// monotonic clock, which the lease check reads anyway, and sweep removes
// expired entries periodically, as ristretto's TTL cleanup did.
type l1 struct {
	cache     *ristretto.Cache[string, *entry]
	seqs      []atomic.Uint32
	epochs    [ring.SlotCount]atomic.Uint32
	maxTTL    time.Duration
	keepStale time.Duration // StaleIfError: how long entries outlive freshness
	clock     monoClock
	prefixes  []string // L1Config.Prefixes: only these keys are cached
}

func newL1(cfg L1Config, keepStale time.Duration, clock monoClock) (*l1, error) {
	c, err := ristretto.NewCache(&ristretto.Config[string, *entry]{
		NumCounters: cfg.NumCounters,
		MaxCost:     cfg.MaxBytes,
		BufferItems: 64,
		Metrics:     true,
	})
	if err != nil {
		return nil, err
	}
	return &l1{cache: c, seqs: make([]atomic.Uint32, 1<<keySeqBits), maxTTL: cfg.MaxTTL, keepStale: keepStale,
		clock: clock, prefixes: cfg.Prefixes}, nil
}

// monoClock reads the monotonic clock as nanoseconds since the client
// started: one runtime nanotime call, no wall-clock read.
type monoClock struct{ start time.Time }

func (m monoClock) now() int64 { return int64(time.Since(m.start)) }

func keyIndex(key string) uint32 {
	return uint32(xxhash.Sum64String(key) & (1<<keySeqBits - 1))
}

// token is what a fill captures before it reads the value remotely.
type token struct {
	seq, epoch uint32
	hidx       uint32
	slot       uint16
}

func (c *l1) begin(key string, slot int) token {
	h := keyIndex(key)
	return token{seq: c.seqs[h].Load(), epoch: c.epochs[slot].Load(), hidx: h, slot: uint16(slot)}
}

// get returns the entry for key if it is valid (not invalidated since its
// fill began) and fresh (within its TTL).
func (c *l1) get(key string, now int64) (*entry, bool) {
	e, ok := c.cache.Get(key)
	if !ok || e.seq != c.seqs[e.hidx].Load() || e.epoch != c.epochs[e.slot].Load() || now >= e.freshUntil {
		return nil, false
	}
	return e, true
}

// stale returns the last value L1 held for key, valid or not, if it is
// within staleFor past its freshness: the stale-if-error fallback. Such a
// value may have been overwritten; callers flag it as stale.
func (c *l1) stale(key string, staleFor time.Duration) (*entry, bool) {
	e, ok := c.cache.Get(key)
	if !ok || e.negative || c.clock.now() >= e.freshUntil+int64(staleFor) {
		return nil, false
	}
	return e, true
}

// install offers an entry to ristretto; it may be dropped. ttl bounds
// freshness (capped by the L1 max TTL); the sweep keeps the entry
// StaleIfError longer for stale-if-error.
func (c *l1) install(key string, t token, value []byte, negative bool, ttl time.Duration) {
	if !c.cacheable(key) {
		return
	}
	now := c.clock.now()
	var expires int64
	if ttl > 0 && !negative {
		expires = now + int64(ttl)
	}
	if ttl <= 0 || ttl > c.maxTTL {
		ttl = c.maxTTL
	}
	e := &entry{key: key, value: value, negative: negative, freshUntil: now + int64(ttl), expires: expires,
		seq: t.seq, epoch: t.epoch, hidx: t.hidx, slot: t.slot}
	c.cache.Set(key, e, int64(len(key)+len(value)+entryOverhead))
}

// cacheable reports whether key may enter L1: with L1Config.Prefixes,
// only keys whose invalidations this client subscribes to.
func (c *l1) cacheable(key string) bool {
	if len(c.prefixes) == 0 {
		return true
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// sweep deletes the entries past their freshness and stale-if-error window,
// and returns how many. A fill that replaces such an entry between the scan
// and the delete loses its entry: a lost hit, never a stale one.
func (c *l1) sweep() int {
	now := c.clock.now()
	var expired []string
	c.cache.IterValues(func(e *entry) bool {
		if now >= e.freshUntil+int64(c.keepStale) || (e.negative && now >= e.freshUntil) {
			expired = append(expired, e.key)
		}
		return false
	})
	for _, k := range expired { // not inside IterValues: Del locks the shard
		c.cache.Del(k)
	}
	return len(expired)
}

// sweepInterval is how often expired entries are swept: half the max TTL,
// within [1s, 30s].
func sweepInterval(maxTTL time.Duration) time.Duration {
	return min(max(maxTTL/2, time.Second), 30*time.Second)
}

// entryOverhead approximates the bytes an entry costs beyond key and value.
const entryOverhead = 96

// invalidate hides key's entry at once by bumping its counter. The entry
// itself stays until its TTL (or eviction) as a stale-if-error fallback
// when that is enabled, and is deleted otherwise.
func (c *l1) invalidate(key string) {
	seq := c.seqs[keyIndex(key)].Add(1)
	if c.keepStale == 0 {
		// An entry filled by our own LEASESET waits for exactly this
		// push (its seq is the new counter): keep it.
		if e, ok := c.cache.Get(key); ok && e.seq != seq {
			c.cache.Del(key)
		}
	}
}

// dropSlots hides every entry of the given slots.
func (c *l1) dropSlots(slots []int) {
	for _, s := range slots {
		c.epochs[s].Add(1)
	}
}

// dropAll hides every entry (a FLUSHALL invalidation).
func (c *l1) dropAll() {
	for s := range c.epochs {
		c.epochs[s].Add(1)
	}
}

func (c *l1) close() { c.cache.Close() }
