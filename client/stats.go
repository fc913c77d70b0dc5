package client

import (
	"context"
	"sync/atomic"
	"time"
)

type tierCounters struct {
	hit, miss, errors atomic.Int64
}

// counterStripes is how many cache lines an L1-hit counter spreads over.
const counterStripes = 32

// stripedCounter is a counter that cores can add to without contending on
// one cache line, as long as they pass different stripe hints (L1 hits pass
// their key's hash). Each stripe fills two cache lines (128 bytes), so
// neighbours never share one, whatever the array's alignment.
type stripedCounter struct {
	stripes [counterStripes]struct {
		n atomic.Int64
		_ [120]byte
	}
}

func (s *stripedCounter) add(hint uint32) { s.stripes[hint%counterStripes].n.Add(1) }

func (s *stripedCounter) load() int64 {
	var sum int64
	for i := range s.stripes {
		sum += s.stripes[i].n.Load()
	}
	return sum
}

// stats are the client's counters; atomic, per instance. L1 hits have a
// striped counter of their own: at tens of nanoseconds per hit, one shared
// counter would be the bottleneck of concurrent hits.
type stats struct {
	l1Hits           stripedCounter
	tier             [4]tierCounters
	negativeHits     atomic.Int64
	loads            atomic.Int64
	sharedLoads      atomic.Int64
	staleServed      atomic.Int64
	writeBackErrors  atomic.Int64
	invalidations    atomic.Int64
	invalConnLost    atomic.Int64
	refreshes        atomic.Int64
	l1LeaseLapsed    atomic.Int64
	leaseWaits       atomic.Int64
	leaseRefused     atomic.Int64
	outageServed     atomic.Int64
	earlyRefreshes   atomic.Int64
	replicaReads     atomic.Int64
	failoverReads    atomic.Int64
	replicaNotServed atomic.Int64
	latency          atomic.Pointer[func(Tier, time.Duration)] // ObserveLatency
}

// TierStats counts the requests a tier answered (Hits), passed on (Misses)
// and failed (Errors).
type TierStats struct{ Hits, Misses, Errors int64 }

// Stats is a snapshot of a Client's counters.
type Stats struct {
	L1, Remote, Origin TierStats
	NegativeHits       int64 // Gets answered by a cached "not found"
	Loads              int64 // origin loads started
	SharedLoads        int64 // Gets that waited on another caller's load
	StaleServed        int64 // stale-if-error answers
	WriteBackErrors    int64
	Invalidations      int64 // invalidation pushes received (keys, or flush-all)
	InvalidationLosses int64 // invalidation connections lost
	Refreshes          int64 // slot table refreshes requested
	L1LeaseLapsed      int64 // L1 entries bypassed: their node's invalidation lease had lapsed
	LeaseWaits         int64 // LEASEGETs answered WAIT (another process was loading the key)
	LeaseRefused       int64 // origin values not written back: the node refused the LEASESET (key written or deleted during the load) or failed
	OutageServed       int64 // Gets answered Stale from L1 while their node was unreachable (L1.OutageWindow)
	EarlyRefreshes     int64 // background reloads before expiry (Config.EarlyRefresh) that took the lease
	L1Dropped          int64 // ristretto sets dropped (buffer full)
	L1Rejected         int64 // ristretto sets rejected by admission
	ReplicaReads       int64 // reads served by a replica the read policy chose
	FailoverReads      int64 // reads served by a replica because the primary failed
	ReplicaNotServed   int64 // replica reads answered -MOVED or a miss, then read from the primary
	L1Keys             int64 // entries in L1 (admitted minus evicted, by ristretto's metrics)
	L1Cost             int64 // bytes L1 holds, its cost measure (admitted minus evicted)
	Breakers           map[string]string
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	s := &c.stats
	ts := func(t Tier) TierStats {
		return TierStats{s.tier[t].hit.Load(), s.tier[t].miss.Load(), s.tier[t].errors.Load()}
	}
	l1 := ts(TierL1)
	l1.Hits += s.l1Hits.load()
	out := Stats{L1: l1, Remote: ts(TierRemote), Origin: ts(TierOrigin),
		NegativeHits: s.negativeHits.Load(), Loads: s.loads.Load(), SharedLoads: s.sharedLoads.Load(),
		StaleServed: s.staleServed.Load(), WriteBackErrors: s.writeBackErrors.Load(),
		Invalidations: s.invalidations.Load(), InvalidationLosses: s.invalConnLost.Load(),
		Refreshes: s.refreshes.Load(), L1LeaseLapsed: s.l1LeaseLapsed.Load(),
		LeaseWaits: s.leaseWaits.Load(), LeaseRefused: s.leaseRefused.Load(),
		OutageServed: s.outageServed.Load(), EarlyRefreshes: s.earlyRefreshes.Load(),
		ReplicaReads: s.replicaReads.Load(), FailoverReads: s.failoverReads.Load(), ReplicaNotServed: s.replicaNotServed.Load(), Breakers: map[string]string{}}
	c.origin.states(out.Breakers)
	if c.l1 != nil && c.l1.cache.Metrics != nil {
		out.L1Dropped = int64(c.l1.cache.Metrics.SetsDropped())
		out.L1Rejected = int64(c.l1.cache.Metrics.SetsRejected())
		m := c.l1.cache.Metrics
		out.L1Keys = int64(m.KeysAdded()) - int64(m.KeysEvicted())
		out.L1Cost = int64(m.CostAdded()) - int64(m.CostEvicted())
	}
	if t := c.router.current(); t != nil {
		for addr, n := range t.nodes {
			out.Breakers["node "+addr] = n.br.State().String()
		}
	}
	return out
}

// Hooks observe Gets that left the L1 tier (L1 hits are counted, not timed,
// to keep them at tens of nanoseconds).
type Hooks struct {
	// AfterGet is called after a Get that missed L1, with the tier that
	// answered, the error and the duration.
	AfterGet func(ctx context.Context, key string, tier Tier, err error, d time.Duration)
}

// ObserveLatency makes f receive the tier and duration of every Get that
// left L1 (client/promcollector times Gets with it); nil stops it. A client
// has one such observer: a second call replaces the first.
func (c *Client) ObserveLatency(f func(tier Tier, d time.Duration)) {
	if f == nil {
		c.stats.latency.Store(nil)
		return
	}
	c.stats.latency.Store(&f)
}

// observing reports whether anything consumes Get durations
// (ObserveLatency or Hooks.AfterGet); when nothing does, Gets skip the clock reads.
func (c *Client) observing() bool {
	return c.stats.latency.Load() != nil || (c.cfg.Hooks != nil && c.cfg.Hooks.AfterGet != nil)
}

// observe reports a Get that started at start (zero: nothing was observing
// when it started, and nothing is reported).
func (c *Client) observe(ctx context.Context, key string, tier Tier, err error, start time.Time) {
	if start.IsZero() {
		return
	}
	d := time.Since(start)
	if f := c.stats.latency.Load(); f != nil {
		(*f)(tier, d)
	}
	if c.cfg.Hooks != nil && c.cfg.Hooks.AfterGet != nil {
		c.cfg.Hooks.AfterGet(ctx, key, tier, err, d)
	}
}
