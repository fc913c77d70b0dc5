package cacheserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
)

// TestHandoffCopyKeepsExpiry: a bulk copy throttled so that its batches
// wait seconds for the rate budget installs every key with its original
// absolute expiry: no copied key lives longer on the new owner than it
// would have on the previous one (a TTL taken on arrival and applied after
// the wait would).
func TestHandoffCopyKeepsExpiry(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 3})
	keys := testKeys(1500)
	ctx := context.Background()
	const ttl = 60 * time.Second
	rdb := nodeClient(t, c.Nodes[0].Addr, 2)
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Set(ctx, k, valueOf(k), ttl)
		}
		return nil
	}); err != nil {
		t.Fatalf("SET: %v", err)
	}
	latest := time.Now().Add(ttl) // no key expires later than this

	d := c.StartNode("node-4", func(cfg *cacheserver.Config) { cfg.Cluster.HandoffRate = 4 << 10 })
	c.WaitAgreed()
	poll.Until(t, 60*time.Second, "node-4 to finish its copy", d.Srv.HandoffIdle)
	if got := infoField(t, d.Addr, "ringcache_handoff_read_throughs"); got != "0" {
		t.Fatalf("%s read-throughs: the keys must arrive by the bulk copy only", got)
	}
	on := nodeClient(t, d.Addr, 2)
	copied := 0
	for _, k := range keys {
		if d.Srv.Ring().Owner(k).Name != d.Name {
			continue
		}
		bound := time.Until(latest)
		pttl, err := on.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatalf("PTTL %s: %v", k, err)
		}
		if pttl < 0 {
			continue // not copied: the copy may lose keys, never extend them
		}
		copied++
		if pttl > bound+5*time.Millisecond {
			t.Fatalf("%s lives %v longer on its new owner than its expiry allows (pttl %v)", k, pttl-bound, pttl)
		}
	}
	if copied == 0 {
		t.Fatal("node-4 holds none of its keys")
	}
	t.Logf("%d keys copied, none outlives its expiry", copied)
}
