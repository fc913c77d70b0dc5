package client

import (
	"context"
	"testing"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/ring"
)

// BenchmarkL1Hit compares a Get answered by L1 with a raw ristretto Get of
// the same key in a cache of the same configuration.
func BenchmarkL1Hit(b *testing.B) {
	tc := startCluster(b)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(b, tc, nil)
	raw.Set(ctx, "key:000000012345", string(make([]byte, 100)), 0)
	getL1(b, c, "key:000000012345")
	b.Run("client.Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res, err := c.Get(ctx, "key:000000012345"); err != nil || res.Tier != TierL1 {
				b.Fatal(res.Tier, err)
			}
		}
	})
	rc, _ := ristretto.NewCache(&ristretto.Config[string, []byte]{NumCounters: 1_000_000, MaxCost: 64 << 20, BufferItems: 64, Metrics: true})
	defer rc.Close()
	rc.Set("key:000000012345", make([]byte, 100), 116)
	rc.Wait()
	b.Run("ristretto.Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := rc.Get("key:000000012345"); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkRemoteHit compares a Get answered by the owner node (L1 skipped)
// with a raw go-redis GET to the same node.
func BenchmarkRemoteHit(b *testing.B) {
	tc := startCluster(b)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(b, tc, nil)
	raw.Set(ctx, "key:000000012345", string(make([]byte, 100)), 0)
	b.Run("client.Get", func(b *testing.B) {
		for b.Loop() {
			if res, err := c.Get(ctx, "key:000000012345", SkipL1()); err != nil || res.Tier != TierRemote {
				b.Fatal(res.Tier, err)
			}
		}
	})
	owner := c.router.nodeFor(ring.KeySlot("key:000000012345")).addr // the same node, no forwarding
	rdb := redis.NewClient(&redis.Options{Addr: owner, Protocol: 2})
	defer rdb.Close()
	b.Run("go-redis.Get", func(b *testing.B) {
		for b.Loop() {
			if err := rdb.Get(ctx, "key:000000012345").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
