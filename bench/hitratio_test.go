package bench

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/redistest"
)

func TestHitRatioTraceIsDeterministicAndSkewed(t *testing.T) {
	cfg := DefaultHitRatio(t.TempDir())
	cfg.Records, cfg.Requests = 1000, 20000
	a, _ := hitRatioTrace(cfg)
	b, _ := hitRatioTrace(cfg)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different traces")
	}
	counts := map[string]int{}
	for _, k := range a {
		counts[k]++
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	// Zipf 0.99 over 1000 keys: the hottest key gets ~13% of requests;
	// uniform would give 0.1%.
	if top < len(a)/20 {
		t.Errorf("hottest key has %d of %d requests: not Zipfian", top, len(a))
	}
	cfg.Seed = 2
	if c, _ := hitRatioTrace(cfg); slices.Equal(a, c) {
		t.Error("different seeds, same trace")
	}
}

// TestRunHitRatio replays a small trace against real redis-server and
// cacheserver processes in both budget modes.
func TestRunHitRatio(t *testing.T) {
	t.Parallel()
	cfg := DefaultHitRatio(t.TempDir())
	cfg.RedisBin, cfg.CacheserverBin = redistest.Binary(t, "redis-server"), launch.TestBinary(t)
	cfg.Records, cfg.Requests, cfg.Fraction, cfg.Policies = 20000, 40000, 0.5, []string{"allkeys-lfu"}
	rep, err := RunHitRatio(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 {
		t.Fatalf("%d runs, want 2 budgets × 2 servers", len(rep.Runs))
	}
	trace, _ := hitRatioTrace(cfg)
	distinct := int64(len(slices.Compact(slices.Sorted(slices.Values(trace)))))
	budget := int64(cfg.Fraction * float64(cfg.DatasetBytes()))
	for _, r := range rep.Runs {
		// Every distinct key misses once at least; a cache with no room
		// would hit nothing.
		if r.Requests != cfg.Requests || r.Hits <= 0 || r.Hits > r.Requests-distinct || r.Keys <= 0 || r.Evicted <= 0 {
			t.Errorf("%+v (distinct keys %d)", r, distinct)
		}
		want := budget
		if r.Budget == "above-empty" {
			want += r.EmptyUsedMemory
		}
		// The windows split the trace evenly: their mean is the ratio.
		var sum float64
		for _, w := range r.Windows {
			sum += w
		}
		if len(r.Windows) != hitRatioWindows || math.Abs(sum/hitRatioWindows-r.HitRatio) > 1e-6 || r.Windows[0] >= r.Windows[hitRatioWindows-1] {
			t.Errorf("%s %s: windows %v, hit ratio %v (a cold start should hit least)", r.Server, r.Budget, r.Windows, r.HitRatio)
		}
		if r.MaxMemory != want || r.RSS <= 0 || r.UsedMemory <= 0 {
			t.Errorf("%s %s: maxmemory %d want %d, rss %d used %d", r.Server, r.Budget, r.MaxMemory, want, r.RSS, r.UsedMemory)
		}
	}
	if rep.Runs[0].Keys >= rep.Runs[2].Keys {
		t.Errorf("redis holds %d keys with the same budget, %d with its overhead added", rep.Runs[0].Keys, rep.Runs[2].Keys)
	}
	var out strings.Builder
	if err := WriteHitRatioSummary(&out, rep); err != nil || strings.Count(out.String(), "allkeys-lfu") != 4 {
		t.Errorf("summary: %v\n%s", err, out.String())
	}
}

func TestHitRatioConfigValidate(t *testing.T) {
	for _, mod := range []func(*HitRatioConfig){
		func(c *HitRatioConfig) { c.Requests = 1 },
		func(c *HitRatioConfig) { c.Fraction = 0 },
		func(c *HitRatioConfig) { c.Fraction = 1.5 },
		func(c *HitRatioConfig) { c.Budgets = []string{"half"} },
		func(c *HitRatioConfig) { c.Policies = nil },
		func(c *HitRatioConfig) { c.Theta = 1 },
		func(c *HitRatioConfig) { c.Dir = "" },
	} {
		c := DefaultHitRatio("d")
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := DefaultHitRatio("d").Validate(); err != nil {
		t.Error(err)
	}
}
