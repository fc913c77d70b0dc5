package client

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
)

// TestNodeKilledThenRingHeals SIGKILLs one node of a 3-node ringcache
// cluster while Gets run: Gets of the keys it owned keep succeeding (the
// origin answers), and once the survivors have dropped it from the ring the
// SDK's slot table follows and the cluster serves those keys again.
func TestNodeKilledThenRingHeals(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	var loads atomic.Int64
	c := newClient(t, tc, func(cfg *Config) {
		cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			loads.Add(1)
			return []byte("o:" + key), nil
		})
	})
	victim := tc.lc.Nodes()[1]
	keys := ownedBy(c, victim.Addr, "dead:", 20)
	for _, k := range keys {
		if err := c.Set(ctx, k, []byte("c:"+k)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait() // after close(stop), even when the test fails
	defer close(stop)
	var gets, failed, slowest atomic.Int64
	wg.Add(1)
	go func() { // Gets run throughout: none may fail
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := keys[i%len(keys)]
			start := time.Now()
			res, err := c.Get(ctx, k)
			if d := int64(time.Since(start)); d > slowest.Load() {
				slowest.Store(d)
			}
			gets.Add(1)
			if err != nil || (string(res.Value) != "c:"+k && string(res.Value) != "o:"+k) {
				if failed.Add(1) <= 5 {
					t.Errorf("Get %s: %q (%s), %v", k, res.Value, res.Tier, err)
				}
			}
		}
	}()
	killed := time.Now()
	victim.Kill()
	poll.Until(t, 5*time.Second, "a Get answered by the origin", func() bool { return loads.Load() > 0 })
	if err := tc.lc.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
	agreed := time.Since(killed)
	poll.Until(t, 10*time.Second, "the SDK to drop the dead node", func() bool {
		return c.router.current().nodes[victim.Addr] == nil
	})
	dropped := time.Since(killed)
	poll.Until(t, 5*time.Second, "the cluster to serve the dead node's keys", func() bool {
		for _, k := range keys {
			if res, err := c.Get(ctx, k, SkipL1()); err != nil || res.Tier != TierRemote {
				return false
			}
		}
		return true
	})
	t.Logf("ring agreed %v after SIGKILL, SDK table %v after; %d Gets (slowest %v), %d failed, %d origin loads",
		agreed, dropped, gets.Load(), time.Duration(slowest.Load()), failed.Load(), loads.Load())
}

// TestRingChangeUnderLoad adds a 4th node while the coherence workload runs:
// every SDK instance must pick up the new slot table (in forward mode no
// MOVED tells it; the old owners' null invalidation does) and every read
// must stay within the bound, except that the change may drop keys' data
// (a miss, never an older value).
func TestRingChangeUnderLoad(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	var sdks []*Client
	for range 3 {
		sdks = append(sdks, newClient(t, tc, coherenceConfig))
	}
	w := newWorkload(t, tc, sdks)
	start := time.Now()
	deadline := start.Add(4 * time.Second)
	var added, agreed, routed time.Time
	done := make(chan error, 1)
	applied := make(chan applyTimes, 1)
	go func() {
		<-time.After(time.Second)                      // let the workload warm L1 up first
		watch := watchRingApply(t, tc.nodes, deadline) // reads the epochs now
		go func() { applied <- watch() }()
		added = time.Now()
		n, err := tc.lc.AddNode(ctx)
		if err == nil {
			err = tc.lc.WaitAgreed(ctx)
		}
		agreed = time.Now()
		for err == nil && !routesTo(sdks, n.Addr) {
			if time.Now().After(deadline) {
				err = fmt.Errorf("an SDK instance still has no route to %s at the end of the run", n.Name)
			}
			time.Sleep(time.Millisecond) // polling, bounded by the run's deadline
		}
		routed = time.Now()
		done <- err
	}()
	w.run(t, deadline)
	err, at := <-done, <-applied
	if err != nil {
		t.Fatal(err)
	}
	w.h.dropFrom, w.h.dropTo = added, routed
	since := func(at time.Time) time.Duration { return at.Sub(added).Round(time.Millisecond) }
	spread := at.last.Sub(at.first)
	rep := w.h.report(staleBound)
	t.Logf("after AddNode: the old nodes applied the new ring from %v to %v (spread %v), WaitAgreed %v, "+
		"every SDK routed to node-4 %v; %d reads (%d from L1), max staleness %v", since(at.first), since(at.last),
		spread.Round(time.Millisecond), since(agreed), since(routed), rep.reads, w.l1Hits(), rep.max)
	if rep.over > 0 {
		t.Logf("%d reads over %v, from %v to %v after AddNode", rep.over, staleBound, since(rep.firstOver), since(rep.lastOver))
	}
	// docs/client.md: during a ring change the bound is MaxStaleness plus
	// the time between the first and the last old node applying the ring.
	w.h.check(t, staleBound+spread)
}

// applyTimes is when the first and the last node published a new ring.
type applyTimes struct{ first, last time.Time }

// watchRingApply reads the nodes' ring epochs (INFO ringcache) and returns
// a function that polls them every millisecond until each has changed or
// deadline passes.
func watchRingApply(t *testing.T, nodes []*redis.Client, deadline time.Time) func() applyTimes {
	ctx := context.Background()
	epoch := func(n *redis.Client) string {
		s, err := n.Info(ctx, "ringcache").Result()
		if err != nil {
			return ""
		}
		_, e, _ := strings.Cut(s, "ringcache_ring_epoch:")
		e, _, _ = strings.Cut(e, "\r\n")
		return e
	}
	initial := make([]string, len(nodes))
	for i, n := range nodes {
		initial[i] = epoch(n)
	}
	return func() applyTimes {
		var at applyTimes
		changed := make([]bool, len(nodes))
		for left := len(nodes); left > 0 && time.Now().Before(deadline); {
			for i, n := range nodes {
				if e := epoch(n); !changed[i] && e != "" && e != initial[i] {
					changed[i], left = true, left-1
					if at.first.IsZero() {
						at.first = time.Now()
					}
					at.last = time.Now()
				}
			}
			time.Sleep(time.Millisecond) // polling, bounded by deadline
		}
		if at.first.IsZero() {
			t.Error("no node applied a new ring")
		}
		return at
	}
}

// routesTo reports whether every instance's slot table lists addr.
func routesTo(sdks []*Client, addr string) bool {
	for _, c := range sdks {
		if c.router.current().nodes[addr] == nil {
			return false
		}
	}
	return true
}

// TestRingChangeWithoutDroppedData: when a node joins and the slots it
// takes hold no data on their old owners, nothing is dropped, yet the SDK
// must still learn of the change (in forward mode no MOVED tells it): every
// node whose slots change sends the null invalidation. Without that, an
// instance that filled L1 through the old owner (which forwards to the new
// one) never receives the new owner's invalidations and serves the old
// value until its periodic refresh (30 s) or L1.MaxTTL.
func TestRingChangeWithoutDroppedData(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	a := newClient(t, tc, nil)
	b := newClient(t, tc, nil)
	n4, err := tc.lc.AddNode(ctx)
	if err == nil {
		err = tc.lc.WaitAgreed(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	fresh := newClient(t, &testCluster{seeds: []string{n4.Addr}}, nil) // knows the new table
	key := ownedBy(fresh, n4.Addr, "moved:", 1)[0]
	if err := a.Set(ctx, key, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	getL1(t, b, key)
	if err := a.Set(ctx, key, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Second, "b to see v2 (b routes to node-4: "+
		fmt.Sprint(b.router.current().nodes[n4.Addr] != nil)+")", func() bool {
		res, err := b.Get(ctx, key)
		return err == nil && string(res.Value) == "v2"
	})
}
