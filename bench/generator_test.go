package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestGeneratorVerdict checks both ways a step is found generator-bound
// and that a step with neither sign is judged on the target.
func TestGeneratorVerdict(t *testing.T) {
	slo := 5 * time.Millisecond
	step := func(g *GeneratorStats, serverCPU float64) *Result {
		return &Result{DurationSec: 2, Load: LoadConfig{Warmup: -1}, Generator: g,
			Nodes: []NodeMetrics{{CPUSeconds: serverCPU}}}
	}
	for _, c := range []struct {
		name string
		r    *Result
		want string
	}{
		{"no stats", step(nil, 1), ""},
		{"late wake-ups", step(&GeneratorStats{CPUCores: 0.2, MachineBusy: 0.3, Cores: 2, WakeLag: &LatencySummary{P99Us: 3000}}, 1), "woke 3000µs late"},
		{"saturated, generator larger", step(&GeneratorStats{CPUCores: 1.2, MachineBusy: 0.97, Cores: 2}, 1.4), "97% busy"},
		{"saturated, servers larger", step(&GeneratorStats{CPUCores: 0.5, MachineBusy: 0.97, Cores: 2}, 2.8), ""},
		{"idle machine", step(&GeneratorStats{CPUCores: 1, MachineBusy: 0.6, Cores: 2, WakeLag: &LatencySummary{P99Us: 200}}, 0.4), ""},
	} {
		got := GeneratorVerdict(c.r, slo)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: verdict %q, want %q", c.name, got, c.want)
		}
	}
	sr := &SweepResult{BreakingRate: 4000, StopReason: "p99 9000µs > SLO 5000µs at 8000 ops/s", GeneratorBound: "its workers woke 3000µs late"}
	if l := sr.BreakingLine(); !strings.Contains(l, "not measured") || strings.Contains(l, "4000") {
		t.Errorf("generator-bound sweep line %q", l)
	}
}

// TestUnsentNeedsABacklogBeyondTheSLO: a few requests left unsent at the
// end by a generator that woke late are no failure; a backlog longer than
// the SLO is.
func TestUnsentNeedsABacklogBeyondTheSLO(t *testing.T) {
	r := &Result{OfferedRate: 200, DurationSec: 1, Unsent: 4} // 20 ms of schedule
	if unsentFails(r, time.Second) {
		t.Error("4 unsent at 200 ops/s (20 ms) failed a 1 s SLO")
	}
	r = &Result{OfferedRate: 1000, DurationSec: 2, Unsent: 300} // 300 ms of schedule
	if !unsentFails(r, 5*time.Millisecond) {
		t.Error("300 unsent at 1000 ops/s passed a 5 ms SLO")
	}
	if GeneratorVerdict(&Result{}, time.Millisecond) != "" {
		t.Error("verdict without generator stats")
	}
}

// TestRunRecordsGeneratorStats: an open-loop run reports the generator's
// CPU, the machine's load and its workers' wake-up lag.
func TestRunRecordsGeneratorStats(t *testing.T) {
	target := TargetFunc(func(ctx context.Context, _ *Op) (Outcome, error) { return Hit, nil })
	r, err := Run(context.Background(), target, readOnly(t),
		LoadConfig{Model: "open", Rate: 200, Concurrency: 4, Duration: time.Second, Warmup: -1}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := r.Generator
	if g == nil || g.Cores < 1 || g.CPUCores < 0 || g.MachineBusy <= 0 || g.MachineBusy > 1 || g.WakeLag == nil || g.WakeLag.Count == 0 {
		t.Fatalf("generator stats %+v", g)
	}
	var out strings.Builder
	if err := WriteSummary(&out, []*Result{r}); err != nil || !strings.Contains(out.String(), "worker wake-up lag") {
		t.Errorf("summary: %v\n%s", err, out.String())
	}
}
