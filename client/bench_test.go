package client

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/ring"
)

// benchKeys is how many keys the parallel benchmarks spread over, so that
// goroutines do not all hammer one key's ristretto shard and counters.
const benchKeys = 256

func benchKey(i int) string { return fmt.Sprintf("{bench}key:%012d", i) }

// parallelKeys runs get over benchKeys keys from every goroutine, each
// goroutine starting at a different key.
func parallelKeys(b *testing.B, get func(key string) error) {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	var next atomic.Uint32
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(97))
		for pb.Next() {
			if err := get(keys[i%benchKeys]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkL1Hit compares a Get answered by L1 with a raw ristretto Get of
// the same key in a cache of the same configuration, from one goroutine and
// from GOMAXPROCS goroutines (over benchKeys keys).
func BenchmarkL1Hit(b *testing.B) {
	tc := startCluster(b)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(b, tc, nil)
	rc, _ := ristretto.NewCache(&ristretto.Config[string, []byte]{NumCounters: 1_000_000, MaxCost: 64 << 20, BufferItems: 64, Metrics: true})
	defer rc.Close()
	for i := range benchKeys {
		raw.Set(ctx, benchKey(i), string(make([]byte, 100)), 0)
		getL1(b, c, benchKey(i))
		rc.Set(benchKey(i), make([]byte, 100), 116)
	}
	rc.Wait()
	// A saturated CPU can delay the invalidation connection's pings enough
	// for the lease to lapse: those Gets go to the node, by design. They
	// are counted and reported, not failed.
	var remote atomic.Int64
	clientGet := func(key string) error {
		res, err := c.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		if res.Tier != TierL1 {
			remote.Add(1)
		}
		return nil
	}
	reportL1 := func(b *testing.B) {
		b.ReportMetric(100*(1-float64(remote.Swap(0))/float64(b.N)), "l1hit%")
	}
	rcGet := func(key string) error {
		if _, ok := rc.Get(key); !ok {
			return fmt.Errorf("%s: ristretto miss", key)
		}
		return nil
	}
	b.Run("client.Get", func(b *testing.B) { remote.Store(0); loopKey(b, clientGet); reportL1(b) })
	b.Run("ristretto.Get", func(b *testing.B) { loopKey(b, rcGet) })
	b.Run("client.GetParallel", func(b *testing.B) { remote.Store(0); parallelKeys(b, clientGet); reportL1(b) })
	b.Run("ristretto.GetParallel", func(b *testing.B) { parallelKeys(b, rcGet) })
}

// loopKey runs get on one key from one goroutine.
func loopKey(b *testing.B, get func(key string) error) {
	key := benchKey(12345 % benchKeys)
	b.ReportAllocs()
	for b.Loop() {
		if err := get(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoteHit compares a Get answered by the owner node (L1 skipped:
// a GET alone) with a raw go-redis GET to the same node, from one goroutine
// and from GOMAXPROCS goroutines; client.RemoteFillL1 is the remote read of
// a Get with L1 (GET+PTTL in one round trip, then the L1 install).
func BenchmarkRemoteHit(b *testing.B) {
	tc := startCluster(b)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(b, tc, nil)
	for i := range benchKeys {
		raw.Set(ctx, benchKey(i), string(make([]byte, 100)), 0)
	}
	// The keys share one hash tag, so one node owns them all: the raw
	// client talks to that node, and nothing is forwarded.
	owner := c.router.nodeFor(ring.KeySlot(benchKey(0))).addr
	rdb := redis.NewClient(&redis.Options{Addr: owner, Protocol: 2})
	defer rdb.Close()
	clientGet := func(key string) error {
		if res, err := c.Get(ctx, key, SkipL1()); err != nil || res.Tier != TierRemote {
			return fmt.Errorf("%s: tier %v, %v", key, res.Tier, err)
		}
		return nil
	}
	redisGet := func(key string) error { return rdb.Get(ctx, key).Err() }
	// The read a Get with L1 does on an L1 miss: GET+PTTL, then the fill.
	fill := func(key string) error {
		slot := ring.KeySlot(key)
		if _, ok, _ := c.fromRemote(ctx, key, slot, c.router.nodeFor(slot), true); !ok {
			return fmt.Errorf("%s: remote miss", key)
		}
		return nil
	}
	b.Run("client.Get", func(b *testing.B) { loopKey(b, clientGet) })
	b.Run("client.RemoteFillL1", func(b *testing.B) { loopKey(b, fill) })
	b.Run("go-redis.Get", func(b *testing.B) { loopKey(b, redisGet) })
	b.Run("client.GetParallel", func(b *testing.B) { parallelKeys(b, clientGet) })
	b.Run("go-redis.GetParallel", func(b *testing.B) { parallelKeys(b, redisGet) })
}

// BenchmarkMonoClock is the clock read every L1 hit makes (freshness and
// the invalidation lease): on a VM without a fast vDSO clock it is a large
// share of an L1 hit.
func BenchmarkMonoClock(b *testing.B) {
	m := monoClock{start: time.Now()}
	var sink int64
	for b.Loop() {
		sink += m.now()
	}
	_ = sink
}
