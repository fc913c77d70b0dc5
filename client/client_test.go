package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"

	"github.com/ringcache/ringcache/internal/poll"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	// go-redis retries a failed dial from a goroutine that sleeps up to a
	// second before noticing its pool was closed; it is not ours to join.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// testHopTimeout is newClient's dial, read and write timeout.
const testHopTimeout = 2 * time.Second

func newClient(t testing.TB, tc *testCluster, mod func(*Config)) *Client {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Seeds = tc.seeds
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// The 50 ms default hop timeouts are for production latencies; on a
	// loaded 2-core machine a dial or read can take longer, and a timed-out
	// hop is a miss that would fail a test not about timeouts. A test about
	// timeouts sets its own in mod.
	cfg.DialTimeout, cfg.ReadTimeout, cfg.WriteTimeout = testHopTimeout, testHopTimeout, testHopTimeout
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	waitLive(t, c)
	return c
}

// waitLive waits until the slot table is known (New connects in the
// background when no seed answered at once) and every node's invalidation
// connection is up.
func waitLive(t testing.TB, c *Client) {
	t.Helper()
	poll.Until(t, 5*time.Second, "slot table and invalidation connections", func() bool {
		tbl := c.router.current()
		if tbl == nil {
			return false
		}
		for _, n := range tbl.nodes {
			if c.l1 != nil && !n.inval.live() {
				return false
			}
		}
		return true
	})
}

// getL1 polls until key is answered from L1 (ristretto's Set is async).
func getL1(t testing.TB, c *Client, key string) Result {
	t.Helper()
	var res Result
	poll.Until(t, 2*time.Second, key+" in L1", func() bool {
		var err error
		res, err = c.Get(context.Background(), key)
		return err == nil && res.Tier == TierL1
	})
	return res
}

func TestTiers(t *testing.T) { forEachBackend(t, testTiers) }

func testTiers(t *testing.T, tc *testCluster) {
	raw := tc.raw
	ctx := context.Background()
	var loads atomic.Int64
	c := newClient(t, tc, func(cfg *Config) {
		cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			loads.Add(1)
			if key == "missing" {
				return nil, ErrNotFound
			}
			return []byte("origin:" + key), nil
		})
	})
	raw.Set(ctx, "remote", "r1", 0)
	res, err := c.Get(ctx, "remote")
	if err != nil || string(res.Value) != "r1" || res.Tier != TierRemote {
		t.Fatalf("Get remote = %+v, %v", res, err)
	}
	if res := getL1(t, c, "remote"); string(res.Value) != "r1" {
		t.Fatalf("L1 value %q", res.Value)
	}
	res, err = c.Get(ctx, "cold")
	if err != nil || string(res.Value) != "origin:cold" || res.Tier != TierOrigin {
		t.Fatalf("Get cold = %+v, %v", res, err)
	}
	if v, _ := raw.Get(ctx, "cold").Result(); v != "origin:cold" {
		t.Fatalf("origin value not written back: %q", v)
	}
	if ttl, _ := raw.PTTL(ctx, "cold").Result(); ttl <= 0 || ttl > 11*time.Minute {
		t.Fatalf("written back with TTL %v, want about 10m", ttl)
	}
	for range 3 {
		if _, err := c.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: %v", err)
		}
	}
	poll.Until(t, 2*time.Second, "negative entry in L1", func() bool {
		_, err := c.Get(ctx, "missing")
		return errors.Is(err, ErrNotFound) && c.Stats().NegativeHits > 0
	})
	if n := loads.Load(); n > 4 {
		t.Fatalf("%d origin loads; negative caching should stop repeated loads", n)
	}
}

func TestReadYourWritesAndInvalidationFromOthers(t *testing.T) {
	forEachBackend(t, testReadYourWritesAndInvalidationFromOthers)
}

func testReadYourWritesAndInvalidationFromOthers(t *testing.T, tc *testCluster) {
	raw := tc.raw
	ctx := context.Background()
	a := newClient(t, tc, nil)
	b := newClient(t, tc, nil)
	if err := a.Set(ctx, "k", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	getL1(t, a, "k")
	getL1(t, b, "k")
	if err := a.Set(ctx, "k", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if res, err := a.Get(ctx, "k"); err != nil || string(res.Value) != "v2" {
		t.Fatalf("writer reads %q, %v after its own write", res.Value, err)
	}
	poll.Until(t, time.Second, "b to see v2", func() bool {
		res, err := b.Get(ctx, "k")
		return err == nil && string(res.Value) == "v2"
	})
	raw.Set(ctx, "k", "v3", 0) // a plain Redis client, outside the SDK
	for _, c := range []*Client{a, b} {
		poll.Until(t, time.Second, "v3 everywhere", func() bool {
			res, err := c.Get(ctx, "k")
			return err == nil && string(res.Value) == "v3"
		})
	}
	tc.flushAll(t)
	poll.Until(t, time.Second, "flush to reach L1", func() bool {
		_, err := a.Get(ctx, "k")
		return errors.Is(err, ErrNotFound)
	})
}

func TestFillRaceNeverInstallsStaleValue(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(t, tc, nil)
	raw.Set(ctx, "race", "old", 0)
	var once sync.Once
	c.testHookAfterRemoteRead = func(key string) {
		once.Do(func() {
			// A write lands after the fill read "old" and before it
			// installs it; wait until its invalidation has arrived.
			before := c.Stats().Invalidations
			raw.Set(ctx, "race", "new", 0)
			poll.Until(t, time.Second, "invalidation", func() bool { return c.Stats().Invalidations > before })
		})
	}
	if res, _ := c.Get(ctx, "race"); string(res.Value) != "old" {
		t.Fatalf("first Get = %q", res.Value)
	}
	c.testHookAfterRemoteRead = nil
	c.l1.cache.Wait() // let ristretto apply the (doomed) Set
	res, err := c.Get(ctx, "race")
	if err != nil || string(res.Value) != "new" {
		t.Fatalf("after the race Get = %q (%s), %v; want new", res.Value, res.Tier, err)
	}
}

func TestInvalidationConnectionLossHidesNodeEntries(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(t, tc, nil)
	raw.Set(ctx, "k", "v1", 0)
	getL1(t, c, "k")
	losses := c.Stats().InvalidationLosses
	// Kill the tracking connection from the server side, as a network
	// fault would, then change the value while it is down.
	tc.killClients(t)
	poll.Until(t, 2*time.Second, "loss detected", func() bool { return c.Stats().InvalidationLosses > losses })
	raw.Set(ctx, "k", "v2", 0)
	poll.Until(t, time.Second, "v2", func() bool {
		res, err := c.Get(ctx, "k")
		return err == nil && string(res.Value) == "v2"
	})
	waitLive(t, c)
}

func TestSingleflightOneLoadForConcurrentColdGets(t *testing.T) {
	tc := startCluster(t)
	var loads, entered atomic.Int64
	release := make(chan struct{})
	c := newClient(t, tc, func(cfg *Config) {
		// A timed-out dial or remote read is a miss that loads again:
		// this test is about the flight, so the 1,000 reads queued on 16
		// connections get time on a loaded machine.
		cfg.DialTimeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
		cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			loads.Add(1)
			<-release
			return []byte("v"), nil
		})
	})
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entered.Add(1)
			res, err := c.Get(context.Background(), "cold")
			if err == nil && string(res.Value) != "v" {
				err = fmt.Errorf("value %q", res.Value)
			}
			errs <- err
		}()
	}
	poll.Until(t, 5*time.Second, "all callers started", func() bool { return entered.Load() == n })
	close(release)
	wg.Wait()
	failOnAny(t, errs)
	if got := loads.Load(); got != 1 {
		t.Fatalf("%d origin loads for %d concurrent Gets, want 1 (remote read errors: %d)", got, n, c.Stats().Remote.Errors)
	}
}

func TestOriginDownBreakerAndStaleIfError(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	ctx := context.Background()
	var fail atomic.Bool
	var calls atomic.Int64
	c := newClient(t, tc, func(cfg *Config) {
		cfg.StaleIfError = time.Hour
		cfg.Breaker.ConsecutiveFailures = 3
		cfg.Breaker.OpenTimeout = time.Hour
		cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			calls.Add(1)
			if fail.Load() {
				return nil, errors.New("connection refused")
			}
			return []byte("fresh:" + key), nil
		})
	})
	if _, err := c.Get(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	getL1(t, c, "s")
	fail.Store(true)
	before := c.Stats().Invalidations
	raw.Del(ctx, "s") // the cluster loses it and invalidates L1
	poll.Until(t, time.Second, "the invalidation", func() bool { return c.Stats().Invalidations > before })
	res, err := c.Get(ctx, "s")
	if err != nil || !res.Stale || string(res.Value) != "fresh:s" {
		t.Fatalf("stale-if-error: %+v, %v", res, err)
	}
	for i := range 5 {
		_, err := c.Get(ctx, fmt.Sprint("x", i))
		if !errors.Is(err, ErrOriginUnavailable) {
			t.Fatalf("Get with origin down: %v", err)
		}
	}
	if got := calls.Load(); got > 1+3 {
		t.Fatalf("breaker let %d loads through", got)
	}
	if s := c.Stats().Breakers["origin"]; s != "open" {
		t.Fatalf("origin breaker %s", s)
	}
}

// TestDeadNodeIsAMissServedByOrigin shuts the only node of a Redis Cluster
// down: every Get is answered by the origin and the node's breaker opens.
// (TestNodeKilledThenRingHeals kills one node of a ringcache cluster.)
func TestDeadNodeIsAMissServedByOrigin(t *testing.T) {
	tc := startRedisCluster(t)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(t, tc, func(cfg *Config) {
		cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) { return []byte("o"), nil })
	})
	raw.Shutdown(ctx)
	for i := range 20 {
		start := time.Now()
		res, err := c.Get(ctx, fmt.Sprint("k", i))
		if err != nil || res.Tier != TierOrigin {
			t.Fatalf("Get %d with node down: %+v %v", i, res, err)
		}
		if d := time.Since(start); i > 10 && d > 50*time.Millisecond {
			t.Logf("Get %d took %v with node down", i, d)
		}
	}
	if s := c.Stats().Breakers["node "+tc.seeds[0]]; s != "open" {
		t.Fatalf("node breaker %s after repeated failures", s)
	}
}

func TestConfigValidation(t *testing.T) {
	cfg := DefaultConfig()
	if _, err := New(context.Background(), cfg); err == nil {
		t.Fatal("New accepted a config without seeds")
	}
	cfg.Seeds = []string{"127.0.0.1:1"}
	cfg.TTLJitter = 2
	cfg.PoolSize = 0
	_, err := New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "TTLJitter") || !strings.Contains(err.Error(), "PoolSize") {
		t.Fatalf("validation error %v should name every problem", err)
	}
	cfg = DefaultConfig()
	cfg.Seeds = []string{"127.0.0.1:1"}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New with no reachable seed: %v, want degraded mode", err)
	}
	if h := c.Health(); h.Connected {
		t.Fatalf("Health %+v with no reachable seed", h)
	}
	c.Close()
}
