package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
)

// withLeases runs f with leases on and, as the control that shows the test
// can fail, off (LeaseTTL 0: the SET NX write-back of before).
func withLeases(t *testing.T, f func(t *testing.T, tc *testCluster, leaseTTL time.Duration)) {
	tc := startCluster(t)
	for _, ttl := range []time.Duration{DefaultConfig().LeaseTTL, 0} {
		t.Run(fmt.Sprintf("lease=%v", ttl), func(t *testing.T) {
			tc.flushAll(t)
			f(t, tc, ttl)
		})
	}
}

// TestLeaseRefusesStaleWriteBack is the stale-write race: a slow origin
// load reads v1; meanwhile the application writes v2 to the origin and
// calls Invalidate; then the load finishes. With leases, v1 must never be
// seen again, in the cluster or in any instance's L1. Without leases the
// SET NX write-back leaves v1 in the cluster: the control asserts that it
// does, so the race is really exercised.
func TestLeaseRefusesStaleWriteBack(t *testing.T) {
	withLeases(t, func(t *testing.T, tc *testCluster, leaseTTL time.Duration) {
		ctx := context.Background()
		var db atomic.Value
		db.Store("v1")
		read, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int64
		slow := LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			v := db.Load().(string)
			if calls.Add(1) == 1 {
				close(read)
				<-release
			}
			return []byte(v), nil
		})
		fast := LoaderFunc(func(ctx context.Context, key string) ([]byte, error) { return []byte(db.Load().(string)), nil })
		a := newClient(t, tc, func(c *Config) { c.Loader, c.LeaseTTL = slow, leaseTTL })
		b := newClient(t, tc, func(c *Config) { c.Loader, c.LeaseTTL = fast, leaseTTL })

		got := make(chan Result, 1)
		go func() { r, _ := a.Get(ctx, "race"); got <- r }()
		<-read
		db.Store("v2")
		if err := b.Invalidate(ctx, "race"); err != nil {
			t.Fatal(err)
		}
		close(release)
		if r := <-got; string(r.Value) != "v1" {
			t.Fatalf("the racing Get returned %q, want v1 (what its load read)", r.Value)
		}
		cluster, err := tc.raw.Get(ctx, "race").Result()
		if leaseTTL == 0 {
			if cluster != "v1" {
				t.Fatalf("control without leases: cluster holds %q %v, want the stale v1 (race not reproduced)", cluster, err)
			}
			return
		}
		if !errors.Is(err, redis.Nil) {
			t.Fatalf("cluster holds %q %v after the refused write-back, want nothing", cluster, err)
		}
		if n := a.Stats().LeaseRefused; n != 1 {
			t.Fatalf("LeaseRefused = %d, want 1", n)
		}
		readsNeverStale(t, []*Client{a, b}, "race", "v2")
	})
}

// readsNeverStale reads key through every client for 300ms (L1 fills in
// between) and fails on any value but want.
func readsNeverStale(t *testing.T, cs []*Client, key, want string) {
	t.Helper()
	tiers := map[Tier]int{}
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		for i, c := range cs {
			r, err := c.Get(context.Background(), key)
			if err != nil || string(r.Value) != want {
				t.Fatalf("client %d read %q (%s) %v, want %q", i, r.Value, r.Tier, err, want)
			}
			tiers[r.Tier]++
		}
	}
	if tiers[TierL1] == 0 {
		t.Fatalf("no read was answered by L1 (%v): the check did not cover L1", tiers)
	}
}

// TestLeaseOneOriginLoadClusterWide: 1,000 goroutines over 8 SDK instances
// Get one cold key: exactly one origin load in the whole cluster. Without
// leases (control) each instance loads once.
func TestLeaseOneOriginLoadClusterWide(t *testing.T) {
	withLeases(t, func(t *testing.T, tc *testCluster, leaseTTL time.Duration) {
		const instances, goroutines = 8, 1000
		var loads, entered atomic.Int64
		release := make(chan struct{})
		loader := LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			loads.Add(1)
			<-release
			return []byte("hot"), nil
		})
		cs := make([]*Client, instances)
		for i := range cs {
			cs[i] = newClient(t, tc, func(c *Config) {
				c.Loader, c.LeaseTTL = loader, leaseTTL
				// 1,000 reads queued on a loaded 2-core machine: a timed-out
				// read would be a node error (a load without lease), not
				// what this test is about.
				c.DialTimeout, c.ReadTimeout, c.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
			})
		}
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				entered.Add(1)
				r, err := cs[g%instances].Get(context.Background(), "hot")
				if err == nil && string(r.Value) != "hot" {
					err = fmt.Errorf("value %q", r.Value)
				}
				errs <- err
			}()
		}
		poll.Until(t, 10*time.Second, "all callers started", func() bool { return entered.Load() == goroutines })
		if leaseTTL > 0 {
			poll.Until(t, 10*time.Second, "the other instances waiting on the lease", func() bool {
				return totalStats(cs).LeaseWaits >= instances-1
			})
		} else {
			poll.Until(t, 10*time.Second, "every instance loading", func() bool { return loads.Load() == instances })
		}
		close(release)
		wg.Wait()
		failOnAny(t, errs)
		st := totalStats(cs)
		t.Logf("lease=%v: %d origin loads for %d Gets over %d instances (lease waits %d, shared in-process %d)",
			leaseTTL, loads.Load(), goroutines, instances, st.LeaseWaits, st.SharedLoads)
		if want := map[bool]int64{true: 1, false: instances}[leaseTTL > 0]; loads.Load() != want {
			t.Fatalf("%d origin loads, want %d", loads.Load(), want)
		}
	})
}

// failOnAny closes errs and fails on the first error in it.
func failOnAny(t *testing.T, errs chan error) {
	t.Helper()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func totalStats(cs []*Client) Stats {
	var sum Stats
	for _, c := range cs {
		s := c.Stats()
		sum.LeaseWaits += s.LeaseWaits
		sum.SharedLoads += s.SharedLoads
		sum.Loads += s.Loads
	}
	return sum
}

// TestLeaseHolderStallsOthersLoadAfterExpiry: when the process holding a
// key's lease never writes it back (stuck, or dead), the others wait at
// most the lease period, then one of them loads.
func TestLeaseHolderStallsOthersLoadAfterExpiry(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	stuck, entered := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	a := newClient(t, tc, func(c *Config) {
		c.LeaseTTL, c.LoadTimeout = 300*time.Millisecond, 10*time.Second
		c.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			close(entered)
			<-stuck
			return nil, errors.New("never")
		})
	})
	var bLoads atomic.Int64
	b := newClient(t, tc, func(c *Config) {
		c.LeaseTTL, c.Loader = 300*time.Millisecond, countingLoader(&bLoads)
	})
	go func() { _, _ = a.Get(ctx, "stalled") }()
	<-entered
	start := time.Now()
	r, err := b.Get(ctx, "stalled")
	waited := time.Since(start)
	if err != nil || r.Tier != TierOrigin || bLoads.Load() != 1 {
		t.Fatalf("Get while another process holds the lease: %v %v, loads %d", r.Tier, err, bLoads.Load())
	}
	if waited < 200*time.Millisecond || b.Stats().LeaseWaits == 0 {
		t.Fatalf("loaded after %v with %d waits: did not wait for the lease", waited, b.Stats().LeaseWaits)
	}
	t.Logf("waited %v for a 300ms lease held by a stuck process", waited)
}
