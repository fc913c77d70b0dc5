package client

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
)

// TestOptInTrackingScopesInvalidations: with opt-in tracking (the default
// without prefixes) an SDK is pushed the invalidations of the keys it read
// into L1 only: 1,000 writes of other keys cost it no push, where a
// broadcast SDK receives them all; a write of a key it holds still
// reaches it.
func TestOptInTrackingScopesInvalidations(t *testing.T) { forEachBackend(t, testOptInScopes) }

func testOptInScopes(t *testing.T, tc *testCluster) {
	ctx := context.Background()
	optin := newClient(t, tc, nil)
	bcast := newClient(t, tc, func(c *Config) { c.L1.Tracking = TrackingBroadcast })
	if m := optin.cfg.L1.trackingMode(); m != TrackingOptIn {
		t.Fatalf("default tracking mode %v, want optin", m)
	}
	// One key per node read into L1: its write is the node's sentinel
	// (once its push arrived, so did the node's earlier ones).
	var sentinels []string
	for _, addr := range tc.seeds {
		if tc.name == "redis" && len(sentinels) > 0 {
			break // one node
		}
		sentinels = append(sentinels, ownedBy(optin, addr, "user:", 1)...)
	}
	for _, k := range sentinels {
		tc.raw.Set(ctx, k, "v1", 0)
		getL1(t, optin, k)
	}
	baseOpt, baseAll := optin.Stats().Invalidations, bcast.Stats().Invalidations
	const writes = 1000
	// Retried whole (the writes are idempotent): under load a node may
	// briefly fence itself (CLUSTERDOWN); pushes of a retry only add to
	// the broadcast count, and the opt-in count is checked exactly.
	poll.Until(t, 10*time.Second, "the writes", func() bool {
		_, err := tc.raw.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range writes {
				p.Set(ctx, fmt.Sprintf("other:%d", i), "x", 0)
			}
			for _, k := range sentinels {
				p.Set(ctx, k, "v2", 0)
			}
			return nil
		})
		return err == nil
	})
	n := int64(len(sentinels))
	wantAll := int64(writes) + n
	if tc.name == "redis" {
		wantAll = 1 // redis-server batches a BCAST event loop's keys into one push
	}
	poll.Until(t, 5*time.Second, "the sentinels' pushes", func() bool {
		return optin.Stats().Invalidations-baseOpt >= n && bcast.Stats().Invalidations-baseAll >= wantAll
	})
	gotOpt, gotAll := optin.Stats().Invalidations-baseOpt, bcast.Stats().Invalidations-baseAll
	t.Logf("pushes for %d writes of unread keys + %d of read keys: opt-in SDK %d, broadcast SDK %d", writes, n, gotOpt, gotAll)
	if gotOpt != n {
		t.Fatalf("opt-in SDK received %d pushes, want %d (the keys it read)", gotOpt, n)
	}
	for _, k := range sentinels {
		if r, err := optin.Get(ctx, k); err != nil || string(r.Value) != "v2" {
			t.Fatalf("%s after the write: %q %v %v, want v2", k, r.Value, r.Tier, err)
		}
	}
}

// TestOptInLoadedValueIsInvalidated: a value this client loaded from the
// origin and wrote back enters L1 tracked, so a later write by someone
// else reaches this client. (Installing the loaded value directly, as
// broadcast mode does, leaves it in L1 untracked: our own write-back
// removed the key from the node's tracking table, and the write of v2 is
// never pushed; the old value is then served until L1.MaxTTL.)
func TestOptInLoadedValueIsInvalidated(t *testing.T) { forEachBackend(t, testOptInLoaded) }

func testOptInLoaded(t *testing.T, tc *testCluster) {
	ctx := context.Background()
	var loads atomic.Int64
	c := newClient(t, tc, func(c *Config) { c.Loader = countingLoader(&loads) })
	for i := range 20 {
		key := fmt.Sprintf("loaded:%d", i)
		if r, err := c.Get(ctx, key); err != nil || r.Tier != TierOrigin {
			t.Fatalf("first Get of %s: %v %v, want origin", key, r.Tier, err)
		}
		getL1(t, c, key)
		if err := tc.raw.Set(ctx, key, "v2", 0).Err(); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 3*time.Second, key+" = v2 through the SDK", func() bool {
			r, err := c.Get(ctx, key)
			return err == nil && string(r.Value) == "v2"
		})
	}
	if got := loads.Load(); got != 20 {
		t.Fatalf("%d origin loads, want 20", got)
	}
}

// TestOptInTrackingSurvivesReconnect: after the invalidation connection
// is killed (new client id on reconnect), reads re-point their tracking and
// a write of an L1 key still reaches the SDK.
func TestOptInTrackingSurvivesReconnect(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	c := newClient(t, tc, nil)
	key := ownedBy(c, tc.seeds[0], "re:", 1)[0]
	tc.raw.Set(ctx, key, "v1", 0)
	getL1(t, c, key)
	n := c.router.current().nodes[tc.seeds[0]]
	old := n.inval.id.Load()
	_ = n.inval.currentConn().Close()
	poll.Until(t, 5*time.Second, "a new invalidation connection", func() bool {
		id := n.inval.trackID()
		return id != 0 && id != old
	})
	getL1(t, c, key)
	tc.raw.Set(ctx, key, "v2", 0)
	poll.Until(t, 3*time.Second, key+" = v2 through the SDK", func() bool {
		r, err := c.Get(ctx, key)
		return err == nil && string(r.Value) == "v2"
	})
}
