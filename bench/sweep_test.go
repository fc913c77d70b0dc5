package bench

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// queueTarget is a single server with a fixed service time: capacity is
// about 1/service operations per second, and beyond it requests queue.
type queueTarget struct {
	mu      sync.Mutex
	service time.Duration
}

func (q *queueTarget) Do(context.Context, *Op) (Outcome, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	time.Sleep(q.service) // simulated service time
	return Hit, nil
}

func (q *queueTarget) Close() error { return nil }

func TestSweepFindsBreakingPoint(t *testing.T) {
	t.Parallel()
	// A 20 ms service time (capacity ≤ 50 ops/s) and a 500 ms SLO keep the
	// verdicts far above the scheduling noise of a loaded 2-core machine.
	cfg := SweepConfig{StartRate: 5, Factor: 2, MaxRate: 1e5, SLO: 500 * time.Millisecond,
		StepDuration: 2 * time.Second, Warmup: -1, Concurrency: 64}
	sr, err := Sweep(context.Background(), &queueTarget{service: 20 * time.Millisecond}, readOnly(t), cfg, "queue", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sr.Steps {
		t.Logf("offered %.0f achieved %.0f p99 %dµs", s.OfferedRate, s.Throughput, s.Latency.P99Us)
	}
	t.Logf("breaking rate %.0f: %s", sr.BreakingRate, sr.StopReason)
	if sr.BreakingRate < 10 || sr.BreakingRate > 40 {
		t.Errorf("breaking rate %.0f, want 10..40 for a ≤ 50 ops/s server", sr.BreakingRate)
	}
	// Overload shows either as a p99 beyond the SLO or, when all 64 workers
	// are stuck in the queue, as requests that could not be sent.
	last := sr.Steps[len(sr.Steps)-1]
	switch {
	case strings.Contains(sr.StopReason, "SLO"):
		if last.Latency.P99Us <= cfg.SLO.Microseconds() {
			t.Errorf("last step p99 %dµs within the SLO", last.Latency.P99Us)
		}
	case strings.Contains(sr.StopReason, "keep up"):
		if last.Unsent == 0 {
			t.Error("stopped for unsent requests but none counted")
		}
	default:
		t.Errorf("stop reason %q", sr.StopReason)
	}
}

func TestSweepStopsOnErrors(t *testing.T) {
	t.Parallel()
	target := TargetFunc(func(context.Context, *Op) (Outcome, error) { return 0, context.DeadlineExceeded })
	cfg := SweepConfig{StartRate: 100, Factor: 2, MaxRate: 1000, SLO: time.Second,
		StepDuration: time.Second, Warmup: -1, Concurrency: 4}
	sr, err := Sweep(context.Background(), target, readOnly(t), cfg, "err", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Steps) != 1 || sr.BreakingRate != 0 || !strings.Contains(sr.StopReason, "timeout") {
		t.Errorf("steps %d breaking %v reason %q", len(sr.Steps), sr.BreakingRate, sr.StopReason)
	}
	if err := (SweepConfig{}).Validate(); err == nil {
		t.Error("zero sweep config accepted")
	}
}

func TestSweepMinSteps(t *testing.T) {
	t.Parallel()
	target := TargetFunc(func(context.Context, *Op) (Outcome, error) { return 0, context.DeadlineExceeded })
	cfg := SweepConfig{StartRate: 100, Factor: 2, MaxRate: 1000, SLO: time.Second,
		StepDuration: time.Second, Warmup: -1, Concurrency: 4, MinSteps: 3}
	sr, err := Sweep(context.Background(), target, readOnly(t), cfg, "err", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Steps) != 3 || sr.BreakingRate != 0 || !strings.Contains(sr.StopReason, "100 ops/s") {
		t.Errorf("steps %d breaking %v reason %q", len(sr.Steps), sr.BreakingRate, sr.StopReason)
	}
}
