package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/redistest"
)

// TestSuiteThreeTargets runs a miniature suite against a real redis-server,
// a single cacheserver and a 3-node ringcache cluster, with the sdk step on
// the ringcache cluster, and checks every target appears in the closed
// loop, the compares, the sweeps and the operating points.
func TestSuiteThreeTargets(t *testing.T) {
	cfg := DefaultSuite(t.TempDir())
	cfg.RedisBin, cfg.CacheserverBin = redistest.Binary(t, "redis-server"), launch.TestBinary(t)
	cfg.Workloads, cfg.Records, cfg.Rounds, cfg.HitRatio = []string{"b"}, 500, 1, nil
	cfg.Closed = LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Second, Warmup: -1}
	cfg.Sweep.StartRate, cfg.Sweep.MaxRate, cfg.Sweep.MinSteps = 200, 400, 1
	cfg.Sweep.StepDuration, cfg.Sweep.Warmup, cfg.Sweep.Concurrency = time.Second, -1, 4
	cfg.Sweep.SLO = time.Second // generous: this checks plumbing, not speed
	cfg.SDK.Load = LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Second, Warmup: -1}
	rep, err := RunSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"redis", "ringcache", "ringcache-3n"}
	if len(rep.Runs) != 3 || len(rep.Compares) != 2 || len(rep.Sweeps) != 3 || len(rep.Points) != 6 || len(rep.SDKRuns) != 2 {
		t.Fatalf("runs %d compares %d sweeps %d points %d sdk %d; notes %v", len(rep.Runs), len(rep.Compares),
			len(rep.Sweeps), len(rep.Points), len(rep.SDKRuns), rep.Notes)
	}
	for i, r := range rep.Runs {
		if r.Target.Label != labels[i] || r.ErrorCount != 0 || r.HitRatio != 1 {
			t.Errorf("run %s: label %s errors %v hit ratio %v", r.Name, r.Target.Label, r.Errors, r.HitRatio)
		}
	}
	if !rep.Runs[2].Target.Cluster || len(rep.Runs[2].Target.Addrs) != 3 {
		t.Errorf("cluster target %+v", rep.Runs[2].Target)
	}
	for i, p := range rep.Points {
		want := []float64{0.5, 0.9}[i%2] * rep.Sweeps[i/2].BreakingRate
		if p.Target.Label != labels[i/2] || p.Load.Rate != want || p.Throughput <= 0 {
			t.Errorf("point %s: label %s rate %v (want %v) throughput %v", p.Name, p.Target.Label, p.Load.Rate, want, p.Throughput)
		}
	}
	b, err := os.ReadFile(filepath.Join(cfg.Out, "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ycsb-b-redis-vs-ringcache-3n", "breaking points and operating points", "at 90%",
		"3-node ringcache cluster", "sdk-nol1-sqlite"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary lacks %q:\n%s", want, b)
		}
	}
}
