package client

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestHooksAndCollectorTimeGetsPastL1 checks that Gets answered past L1 are
// reported to Hooks.AfterGet with their tier and a duration, and timed into
// the Collector's histogram, while L1 hits are counted only.
func TestHooksAndCollectorTimeGetsPastL1(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	ctx := context.Background()
	type call struct {
		key  string
		tier Tier
		d    time.Duration
	}
	var mu sync.Mutex
	var calls []call
	c := newClient(t, tc, func(cfg *Config) {
		cfg.Hooks = &Hooks{AfterGet: func(_ context.Context, key string, tier Tier, _ error, d time.Duration) {
			mu.Lock()
			calls = append(calls, call{key, tier, d})
			mu.Unlock()
		}}
	})
	var observed sync.Map
	c.ObserveLatency(func(tier Tier, d time.Duration) { observed.Store(tier, d) })
	raw.Set(ctx, "timed", "v", 0)
	if res, err := c.Get(ctx, "timed", SkipL1()); err != nil || res.Tier != TierRemote {
		t.Fatalf("Get = %+v, %v", res, err)
	}
	getL1(t, c, "timed") // L1 hits are not reported
	mu.Lock()
	if len(calls) == 0 {
		mu.Unlock()
		t.Fatal("AfterGet was not called")
	}
	first := calls[0]
	for _, cl := range calls {
		if cl.tier == TierL1 {
			t.Errorf("an L1 hit was reported: %+v", cl)
		}
	}
	mu.Unlock()
	if first.key != "timed" || first.tier != TierRemote || first.d <= 0 {
		t.Fatalf("AfterGet got %+v", first)
	}
	// The latency observer saw the remote tier only.
	var tiers []Tier
	observed.Range(func(k, _ any) bool { tiers = append(tiers, k.(Tier)); return true })
	if len(tiers) != 1 || tiers[0] != TierRemote {
		t.Fatalf("latency observed for tiers %v, want [remote]", tiers)
	}
}
