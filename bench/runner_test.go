package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallTarget answers instantly except that call number stallAt holds a
// lock for stall, blocking every other call for that long: a server-wide
// pause such as a GC or a fork.
type stallTarget struct {
	mu      sync.RWMutex
	calls   atomic.Int64
	stallAt int64
	stall   time.Duration
}

func (s *stallTarget) Do(_ context.Context, op *Op) (Outcome, error) {
	if s.calls.Add(1) == s.stallAt {
		s.mu.Lock()
		time.Sleep(s.stall) // the simulated server stall, not synchronisation
		s.mu.Unlock()
		return Hit, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Hit, nil
}

func (s *stallTarget) Close() error { return nil }

func readOnly(t *testing.T) *Workload {
	t.Helper()
	w, err := NewWorkload(WorkloadConfig{Name: "read", Records: 1000, Mix: Mix{Read: 1}, KeyDist: "uniform"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestOpenLoopChargesStall checks the coordinated-omission correction: a
// 300 ms stall delays every request scheduled during it, and the open loop
// measures each from its intended start, so ~15% of the requests carry up to
// 300 ms and the p99 shows it. The closed loop, whose workers simply wait,
// sees only the few requests in flight at the time, and its p99 hides it.
func TestOpenLoopChargesStall(t *testing.T) {
	const stall = 300 * time.Millisecond
	open := &stallTarget{stallAt: 1000, stall: stall}
	lc := LoadConfig{Model: "open", Concurrency: 8, Rate: 2000, Duration: 2 * time.Second, Warmup: -1}
	ro, err := Run(context.Background(), open, readOnly(t), lc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open loop: %+v send lag %+v", ro.Latency, ro.SendLag)
	if ro.SendLag == nil || ro.SendLag.MaxUs < (stall/2).Microseconds() {
		t.Errorf("send lag %+v: requests queued behind the stall were sent late", ro.SendLag)
	}
	if ro.Latency.MaxUs < (stall - 10*time.Millisecond).Microseconds() {
		t.Errorf("open loop max %dµs, want ≥ the %v stall", ro.Latency.MaxUs, stall)
	}
	if ro.Latency.P99Us < (stall / 2).Microseconds() {
		t.Errorf("open loop p99 %dµs hides the %v stall", ro.Latency.P99Us, stall)
	}
	// Every slot of the schedule (2000/s for 2 s) is either measured or, if
	// the backlog had not drained by the end, counted as unsent.
	if n := ro.Ops + ro.Unsent; n < 3990 || n > 4010 || ro.Ops < 2000 {
		t.Errorf("open loop: %d ops + %d unsent, want 4000 scheduled", ro.Ops, ro.Unsent)
	}
	closed := &stallTarget{stallAt: 1000, stall: stall}
	lc = LoadConfig{Model: "closed", Concurrency: 8, Duration: time.Second, Warmup: -1}
	rc, err := Run(context.Background(), closed, readOnly(t), lc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("closed loop: %+v", rc.Latency)
	if rc.Latency.MaxUs < (stall - 10*time.Millisecond).Microseconds() {
		t.Errorf("closed loop max %dµs, want the stall to be seen by the requests in flight", rc.Latency.MaxUs)
	}
	if rc.Latency.P99Us > (stall / 10).Microseconds() {
		t.Errorf("closed loop p99 %dµs: expected it to hide the stall", rc.Latency.P99Us)
	}
}

func TestRunCountsOutcomesAndErrors(t *testing.T) {
	var n atomic.Int64
	target := TargetFunc(func(ctx context.Context, op *Op) (Outcome, error) {
		switch n.Add(1) % 4 {
		case 0:
			return Miss, nil
		case 1:
			return 0, context.DeadlineExceeded
		}
		return Hit, nil
	})
	lc := LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Second, Warmup: -1}
	r, err := Run(context.Background(), target, readOnly(t), lc, RunOptions{Name: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops != r.Latency.Count+r.ErrorCount || r.Errors["timeout"] != r.ErrorCount || r.ErrorCount == 0 {
		t.Errorf("ops %d count %d errors %v", r.Ops, r.Latency.Count, r.Errors)
	}
	if r.HitRatio < 0.6 || r.HitRatio > 0.72 {
		t.Errorf("hit ratio %.3f, want 2/3", r.HitRatio)
	}
	if len(r.Intervals) != 1 || r.Name != "fake" {
		t.Errorf("intervals %d name %q", len(r.Intervals), r.Name)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	target := TargetFunc(func(context.Context, *Op) (Outcome, error) {
		if n.Add(1) == 100 {
			cancel()
		}
		return Hit, nil
	})
	lc := LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Hour, Warmup: -1}
	r, err := Run(ctx, target, readOnly(t), lc, RunOptions{})
	if err == nil || r == nil {
		t.Fatalf("want partial result and error, got %v %v", r, err)
	}
}

func TestLoadConfigValidate(t *testing.T) {
	bad := []LoadConfig{
		{Model: "bursty", Concurrency: 1, Duration: time.Second},
		{Model: "closed", Concurrency: 0, Duration: time.Second},
		{Model: "open", Concurrency: 1, Duration: time.Second},
		{Model: "closed", Concurrency: 1, Duration: time.Millisecond},
	}
	for _, lc := range bad {
		if err := lc.Validate(); err == nil {
			t.Errorf("accepted %+v", lc)
		}
	}
	if err := DefaultLoad().Validate(); err != nil {
		t.Error(err)
	}
}

func TestRunActionsBecomeEvents(t *testing.T) {
	var fired atomic.Int64
	actions := []Action{
		{At: 300 * time.Millisecond, What: "first", Do: func(context.Context) error { fired.Add(1); return nil }},
		{At: 600 * time.Millisecond, What: "second", Do: func(context.Context) error { return context.Canceled }},
		{At: time.Hour, What: "never", Do: func(context.Context) error { fired.Add(1); return nil }},
	}
	target := TargetFunc(func(context.Context, *Op) (Outcome, error) { return Hit, nil })
	lc := LoadConfig{Model: "closed", Concurrency: 1, Duration: time.Second, Warmup: -1}
	r, err := Run(context.Background(), target, readOnly(t), lc, RunOptions{Actions: actions})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 2 || fired.Load() != 1 || r.Events[0].What != "first" || r.Events[0].T < 0.3 ||
		r.Events[0].DoneT < r.Events[0].T || r.Events[1].What != "second: error: context canceled" || r.Events[1].DoneT != 0 {
		t.Errorf("events %+v fired %d", r.Events, fired.Load())
	}
}
