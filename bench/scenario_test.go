package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/redistest"
)

func fakeBinary(t *testing.T, help string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cacheserver")
	script := "#!/bin/sh\necho '" + help + "'\nexit 2\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScenarioValidate(t *testing.T) {
	bad := map[string]func(*ScenarioConfig){
		"unknown kind":        func(c *ScenarioConfig) { c.Kind = "split-brain" },
		"no dir":              func(c *ScenarioConfig) { c.Dir = "" },
		"one node to kill":    func(c *ScenarioConfig) { c.Nodes = 1 },
		"one node to stop":    func(c *ScenarioConfig) { c.Kind, c.Nodes = "scale-in", 1 },
		"redirect":            func(c *ScenarioConfig) { c.Redirect = "proxy" },
		"client":              func(c *ScenarioConfig) { c.Client = "sdk" },
		"plain client, moved": func(c *ScenarioConfig) { c.Redirect = "moved" },
		"event after the run": func(c *ScenarioConfig) { c.At = c.Load.Duration },
		"bad load":            func(c *ScenarioConfig) { c.Load.Concurrency = 0 },
	}
	for name, mutate := range bad {
		cfg := DefaultScenario(t.TempDir())
		mutate(&cfg)
		if _, err := RunScenario(context.Background(), cfg, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cfg := DefaultScenario(t.TempDir())
	cfg.Bin = filepath.Join(t.TempDir(), "absent")
	if _, err := RunScenario(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing binary: %v", err)
	}
	cfg = DefaultScenario(t.TempDir())
	cfg.Client, cfg.Redirect = "cluster", "moved"
	if err := cfg.Validate(); err != nil {
		t.Errorf("cluster client with moved: %v", err)
	}
}

// shortScenario is a 6 s read-only scenario on a small key space with the
// local gossip timers, the event at 2.5 s.
func shortScenario(t *testing.T, kind string, nodes int) ScenarioConfig {
	cfg := DefaultScenario(t.TempDir())
	cfg.Kind, cfg.Nodes, cfg.Bin, cfg.LANGossip = kind, nodes, launch.TestBinary(t), false
	cfg.Workload, _ = YCSB("c")
	cfg.Workload.Records = 2000
	cfg.Load = LoadConfig{Model: "closed", Concurrency: 4, Duration: 6 * time.Second, Warmup: -1}
	cfg.At = 2500 * time.Millisecond
	return cfg
}

// checkScenario asserts what the scenarios share: one event whose ring
// agreement came within the run, no miss before the event (every record was
// loaded), after it misses when cold (keys lost with a killed node, or
// moved slots without hand-off) or at most 2% misses when warm (hand-off),
// recovery figures, and filled keys being hit again by the end.
func checkScenario(t *testing.T, sr *ScenarioResult, what string, cold bool) {
	t.Helper()
	r := sr.Result
	if len(r.Events) != 1 || !strings.Contains(r.Events[0].What, what) || r.Events[0].DoneT <= r.Events[0].T {
		t.Fatalf("events %+v", r.Events)
	}
	var missesAfter, opsAfter int64
	for _, iv := range r.Intervals {
		if iv.T <= r.Events[0].T && iv.Misses != 0 {
			t.Errorf("second %v before the event: %d misses", iv.T, iv.Misses)
		}
		if iv.T > r.Events[0].T {
			missesAfter, opsAfter = missesAfter+iv.Misses, opsAfter+iv.Hits+iv.Misses
		}
	}
	if cold && missesAfter == 0 {
		t.Errorf("no miss after %s: intervals %+v", what, r.Intervals)
	}
	if !cold && (opsAfter == 0 || float64(missesAfter) > 0.02*float64(opsAfter)) {
		t.Errorf("%d misses of %d reads after %s with hand-off (want <= 2%%): intervals %+v", missesAfter, opsAfter, what, r.Intervals)
	}
	if len(sr.Recovery) != len(recoveryLevels) || sr.Recovery[0].Baseline <= 0 {
		t.Errorf("recovery %+v", sr.Recovery)
	}
	if last := r.Intervals[len(r.Intervals)-1]; last.HitRatio < 0.9 {
		t.Errorf("hit ratio %.3f in the last second: filled keys not hit again", last.HitRatio)
	}
	var b strings.Builder
	if err := WriteScenarioSummary(&b, sr); err != nil || !strings.Contains(b.String(), "ring agreed at") {
		t.Errorf("summary %q: %v", b.String(), err)
	}
}

// TestScenarioScaleIn stops the last of 3 real cacheserver processes
// gracefully (SIGTERM) while 4 workers read through the first one: with
// hand-off its slots' new owners copy them before it leaves; with
// --handoff-rate 0 its keys are lost.
func TestScenarioScaleIn(t *testing.T) {
	t.Parallel()
	for _, cold := range []bool{false, true} {
		t.Run(map[bool]string{false: "handoff", true: "cold"}[cold], func(t *testing.T) {
			t.Parallel()
			cfg := shortScenario(t, "scale-in", 3)
			if cold {
				cfg.NodeArgs = []string{"--handoff-rate", "0"}
			}
			sr, err := RunScenario(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkScenario(t, sr, "SIGTERM node-3", cold)
		})
	}
}

// TestScenarioKillNode SIGKILLs the last of 3 real cacheserver processes
// while 4 workers read through the first one.
func TestScenarioKillNode(t *testing.T) {
	t.Parallel()
	sr, err := RunScenario(context.Background(), shortScenario(t, "kill-node", 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkScenario(t, sr, "SIGKILL node-3", true)
}

// TestScenarioScaleOut adds a third node to 2 real cacheserver processes
// under load through the cluster client: with hand-off (the default) the
// slots it takes arrive warm; with --handoff-rate 0 they arrive empty.
func TestScenarioScaleOut(t *testing.T) {
	t.Parallel()
	for _, cold := range []bool{false, true} {
		t.Run(map[bool]string{false: "handoff", true: "cold"}[cold], func(t *testing.T) {
			t.Parallel()
			cfg := shortScenario(t, "scale-out", 2)
			cfg.Client, cfg.Redirect = "cluster", "moved"
			if cold {
				cfg.NodeArgs = []string{"--handoff-rate", "0"}
			}
			sr, err := RunScenario(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkScenario(t, sr, "start node 3", cold)
			if sr.Result.Target.Label != "ringcache-2nodes-moved-via-cluster" {
				t.Errorf("label %q", sr.Result.Target.Label)
			}
		})
	}
}

func TestRecoveries(t *testing.T) {
	var ivs []Interval
	for i := range 12 {
		iv := Interval{T: float64(i + 1), Throughput: 1000, HitRatio: 1, P99Us: 100}
		switch i {
		case 5: // the second holding the event at 5.5 s
			iv.Throughput, iv.HitRatio, iv.P99Us = 200, 0.5, 900
		case 6, 7:
			iv.Throughput, iv.HitRatio, iv.P99Us = 950, 0.96, 150
		case 8: // the hit ratio's worst second comes late
			iv.HitRatio = 0.4
		}
		ivs = append(ivs, iv)
	}
	rs := Recoveries(ivs, 5.5)
	want := map[string]float64{"throughput_ops/0.9": 0.5, "hit_ratio/0.95": 3.5, "hit_ratio/0.99": 3.5, "p99_us/0.5": 0.5}
	worstAt := map[string]float64{"throughput_ops": 6, "hit_ratio": 9, "p99_us": 6}
	if len(rs) != len(want) {
		t.Fatalf("%+v", rs)
	}
	for _, r := range rs {
		key := fmt.Sprintf("%s/%v", r.Metric, r.Level)
		if r.RecoveredAfterSec != want[key] || r.WorstAtSec != worstAt[r.Metric] {
			t.Errorf("%s: recovered after %v, worst at %v (%+v)", key, r.RecoveredAfterSec, r.WorstAtSec, r)
		}
	}
	if rs[0].Baseline != 1000 || rs[0].Worst != 200 || rs[3].Worst != 900 {
		t.Errorf("baseline/worst %+v", rs)
	}
	ivs[11].Throughput = 0 // never 3 good seconds in a row after the worst
	ivs[9].Throughput = 0
	ivs[6].Throughput = 0
	if r := Recoveries(ivs, 5.5)[0]; r.RecoveredAfterSec != -1 {
		t.Errorf("recovered %+v", r)
	}
	if Recoveries(ivs, 0.5) != nil {
		t.Error("recovery without a baseline")
	}
}

// TestProcessLifecycle starts redis-server through the harness's process
// management, reads its /proc figures, and SIGKILLs it.
func TestProcessLifecycle(t *testing.T) {
	bin := redistest.Binary(t, "redis-server")
	p, err := StartRedis(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cpu, rss, err := ProcStats(p.PID())
	if err != nil || rss <= 0 || cpu < 0 {
		t.Errorf("ProcStats: cpu %v rss %v err %v", cpu, rss, err)
	}
	p.Kill()
	if !p.Exited() || ping(p.Addr) == nil {
		t.Error("process still answering after SIGKILL")
	}
	p.Kill() // idempotent
	p.Stop(0)
	if _, err := StartProcess(context.Background(), fakeBinary(t, "x"), nil, p.Addr, filepath.Join(t.TempDir(), "log")); err == nil {
		t.Error("a process that exits at once was reported ready")
	}
}
