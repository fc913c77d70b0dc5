package client

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
)

// TestL1PrefixesScopeInvalidations: with L1.Prefixes an SDK receives the
// invalidations of its prefixes only (1,000 writes of other keys cost it
// no push, where an unscoped SDK receives them all), still sees writes of
// its own keys, and never serves other keys from L1.
func TestL1PrefixesScopeInvalidations(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	scoped := newClient(t, tc, func(c *Config) { c.L1.Prefixes = []string{"user:"} })
	all := newClient(t, tc, func(c *Config) { c.L1.Tracking = TrackingBroadcast })
	tc.raw.Set(ctx, "user:1", "v1", 0)
	tc.raw.Set(ctx, "other:1", "o1", 0)
	getL1(t, scoped, "user:1")
	for range 3 {
		if r, err := scoped.Get(ctx, "other:1"); err != nil || r.Tier == TierL1 {
			t.Fatalf("other:1 through the scoped SDK: %v %v, want never L1", r.Tier, err)
		}
	}
	baseScoped, baseAll := scoped.Stats().Invalidations, all.Stats().Invalidations
	const writes = 1000
	if _, err := tc.raw.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range writes {
			p.Set(ctx, fmt.Sprintf("other:%d", i), "x", 0)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// One write of a scoped key per node, after the others: once its push
	// has arrived, so have the node's earlier pushes.
	var sentinels int64
	for _, addr := range tc.seeds {
		for _, k := range ownedBy(scoped, addr, "user:sentinel:", 1) {
			tc.raw.Set(ctx, k, "s", 0)
			sentinels++
		}
	}
	poll.Until(t, 5*time.Second, "the sentinels' pushes", func() bool {
		return scoped.Stats().Invalidations-baseScoped >= sentinels &&
			all.Stats().Invalidations-baseAll >= writes+sentinels
	})
	gotScoped, gotAll := scoped.Stats().Invalidations-baseScoped, all.Stats().Invalidations-baseAll
	t.Logf("pushes received for %d writes of other keys + %d of scoped keys: scoped SDK %d, unscoped SDK %d",
		writes, sentinels, gotScoped, gotAll)
	if gotScoped != sentinels {
		t.Fatalf("scoped SDK received %d pushes, want %d (its prefix only)", gotScoped, sentinels)
	}
	tc.raw.Set(ctx, "user:1", "v2", 0)
	poll.Until(t, 2*time.Second, "user:1 = v2 through the scoped SDK", func() bool {
		r, err := scoped.Get(ctx, "user:1")
		return err == nil && string(r.Value) == "v2"
	})
}

// TestMeasureIdleInvalidationCPU measures what an idle SDK instance spends
// on invalidations it does not need: redis-benchmark SETs random keys on
// every node while the test process holds only an SDK that reads nothing;
// the process's CPU time is read with getrusage. Broadcast unscoped (every
// write is pushed), opt-in tracking (keys it read: none), and broadcast with
// L1.Prefixes that match none of the keys.
// RINGCACHE_MEASURE=1 go test -run TestMeasureIdleInvalidationCPU -v ./client/
func TestMeasureIdleInvalidationCPU(t *testing.T) {
	if os.Getenv("RINGCACHE_MEASURE") == "" {
		t.Skip("set RINGCACHE_MEASURE=1")
	}
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark not installed")
	}
	tc := startCluster(t)
	for _, m := range []struct {
		mode     TrackingMode
		prefixes []string
	}{{TrackingBroadcast, nil}, {TrackingOptIn, nil}, {TrackingBroadcast, []string{"user:"}}} {
		prefixes := m.prefixes
		c := newClient(t, tc, func(cfg *Config) { cfg.L1.Prefixes, cfg.L1.Tracking = m.prefixes, m.mode })
		pushes0, cpu0, start := c.Stats().Invalidations, processCPU(t), time.Now()
		var wg sync.WaitGroup
		for _, addr := range tc.seeds {
			host, port, _ := strings.Cut(addr, ":")
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := exec.Command(bench, "-h", host, "-p", port, "-t", "set", "-n", "100000",
					"-r", "1000000", "-c", "8", "-P", "16", "-q").CombinedOutput()
				if err != nil {
					t.Errorf("redis-benchmark: %v %s", err, out)
				}
			}()
		}
		wg.Wait()
		elapsed, cpu, pushes := time.Since(start), processCPU(t)-cpu0, c.Stats().Invalidations-pushes0
		perPush := time.Duration(0)
		if pushes > 0 {
			perPush = cpu / time.Duration(pushes)
		}
		t.Logf("%v, prefixes %v: 300000 SETs in %v (%.0f/s); idle SDK received %d pushes, used %v CPU (%.1f%% of a core; %v per push, %.1f%% of a core per 10k pushes/s)",
			m.mode, prefixes, elapsed.Round(time.Millisecond), 300000/elapsed.Seconds(), pushes, cpu.Round(time.Millisecond),
			100*cpu.Seconds()/elapsed.Seconds(), perPush, 100*perPush.Seconds()*10000)
		c.Close()
	}
}

// processCPU is the test process's user+system CPU time so far.
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
