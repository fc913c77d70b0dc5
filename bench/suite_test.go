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

// miniSuite is a suite of 1 s runs over 500 records against a real
// redis-server, a single cacheserver and a 3-node ringcache cluster: the
// sweep is one step, one operating point, the sdk step L1 off only and no
// hit-ratio step. Its verdicts are generous: this checks plumbing, not
// speed.
func miniSuite(t *testing.T) SuiteConfig {
	cfg := DefaultSuite(t.TempDir())
	cfg.RedisBin, cfg.CacheserverBin = redistest.Binary(t, "redis-server"), launch.TestBinary(t)
	cfg.Workloads, cfg.Records, cfg.Rounds, cfg.HitRatio, cfg.Points = []string{"b"}, 500, 1, nil, []float64{0.5}
	cfg.Closed = LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Second, Warmup: -1}
	cfg.Sweep.StartRate, cfg.Sweep.MaxRate, cfg.Sweep.MinSteps = 200, 200, 1
	cfg.Sweep.StepDuration, cfg.Sweep.Warmup, cfg.Sweep.Concurrency = time.Second, -1, 4
	cfg.Sweep.SLO = time.Second
	cfg.SDK.Load = LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Second, Warmup: -1}
	cfg.SDK.L1, cfg.SDK.Env.Timeout = []bool{false}, testHopTimeout
	return cfg
}

// TestSuiteThreeTargets runs the mini suite and checks every target
// appears in the closed loop, the compares, the sweeps and the operating
// points, that a step line (elapsed, ETA, what) is written before the
// first server starts and for every step, and the plots.
func TestSuiteThreeTargets(t *testing.T) {
	t.Parallel()
	cfg := miniSuite(t)
	var steps strings.Builder
	cfg.Steps = &steps
	rep := runSuite(t, cfg, 3, 2, 3, 3, 1)
	lines := strings.Split(strings.TrimSpace(steps.String()), "\n")
	if !strings.HasPrefix(lines[0], "suite: ") || !strings.Contains(lines[1], "ETA") || !strings.Contains(lines[1], "starting redis") {
		t.Errorf("first progress lines:\n%s", steps.String())
	}
	for _, want := range []string{"closed loop YCSB-B on ringcache-3n, round 1/1", "open-loop sweep YCSB-B on ringcache",
		"operating points on ringcache-3n", "Go SDK step", "suite done"} {
		if !strings.Contains(steps.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, steps.String())
		}
	}
	for _, png := range []string{"throughput_over_time_ycsb-b.png", "p99_over_time_ycsb-b.png", "percentiles_ycsb-b.png",
		"latency_vs_throughput.png", "sdk_tiers.png"} {
		checkPNG(t, filepath.Join(cfg.Out, png))
	}
	t.Logf("progress:\n%s", steps.String())
	_ = rep
}

// TestSuiteThreeTargetsLong is the suite with two rounds, a two-step
// sweep, both operating points, the sdk step with L1 on and off and the
// hit-ratio step (make test-long).
func TestSuiteThreeTargetsLong(t *testing.T) {
	if os.Getenv("RINGCACHE_LONG") == "" {
		t.Skip("the full miniature suite: set RINGCACHE_LONG=1 (make test-long)")
	}
	cfg := miniSuite(t)
	cfg.Rounds, cfg.Sweep.MaxRate, cfg.Points, cfg.SDK.L1 = 2, 400, []float64{0.5, 0.9}, []bool{true, false}
	hr := DefaultHitRatio("")
	hr.Records, hr.Requests, hr.Fraction, hr.Policies = 20000, 40000, 0.5, []string{"allkeys-lfu"} // as TestRunHitRatio
	cfg.HitRatio = &hr
	rep := runSuite(t, cfg, 6, 2, 3, 6, 2)
	if rep.HitRatio == nil || len(rep.HitRatio.Runs) != 4 {
		t.Fatalf("hit ratio %+v; notes %v", rep.HitRatio, rep.Notes)
	}
	checkPNG(t, filepath.Join(cfg.Out, "hit_ratio_over_time.png"))
}

// runSuite runs cfg and checks the counts of its parts and the summary.
func runSuite(t *testing.T, cfg SuiteConfig, runs, compares, sweeps, points, sdk int) *SuiteReport {
	t.Helper()
	rep, err := RunSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"redis", "ringcache", "ringcache-3n"}
	if len(rep.Runs) != runs || len(rep.Compares) != compares || len(rep.Sweeps) != sweeps || len(rep.Points) != points || len(rep.SDKRuns) != sdk {
		t.Fatalf("runs %d compares %d sweeps %d points %d sdk %d; notes %v", len(rep.Runs), len(rep.Compares),
			len(rep.Sweeps), len(rep.Points), len(rep.SDKRuns), rep.Notes)
	}
	for i, r := range rep.Runs {
		if r.Target.Label != labels[i%3] || r.ErrorCount != 0 || r.HitRatio != 1 {
			t.Errorf("run %s: label %s errors %v hit ratio %v", r.Name, r.Target.Label, r.Errors, r.HitRatio)
		}
	}
	if !rep.Runs[2].Target.Cluster || len(rep.Runs[2].Target.Addrs) != 3 {
		t.Errorf("cluster target %+v", rep.Runs[2].Target)
	}
	per := len(cfg.Points)
	for i, p := range rep.Points {
		want := cfg.Points[i%per] * rep.Sweeps[i/per].BreakingRate
		if p.Target.Label != labels[i/per] || p.Load.Rate != want || p.Throughput <= 0 {
			t.Errorf("point %s: label %s rate %v (want %v) throughput %v", p.Name, p.Target.Label, p.Load.Rate, want, p.Throughput)
		}
	}
	b, err := os.ReadFile(filepath.Join(cfg.Out, "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ycsb-b-redis-vs-ringcache-3n", "breaking points and operating points", "at 50%",
		"3-node ringcache cluster", "sdk-nol1-sqlite", "generator:"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary lacks %q:\n%s", want, b)
		}
	}
	return rep
}
