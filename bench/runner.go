package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// LoadConfig is the load model of a run. DefaultLoad is a 10 s closed loop
// with 16 workers after a 1 s warm-up.
type LoadConfig struct {
	// Model is "closed" (Concurrency workers, each sending its next request
	// when the previous returns) or "open" (Rate requests per second on a
	// fixed schedule, at most Concurrency in flight; latency counts from the
	// intended start, so queueing behind a stall is measured).
	Model string `json:"model"`
	// Concurrency is the number of workers (default 16). In open loop it
	// caps requests in flight: use at least Rate × expected latency.
	Concurrency int `json:"concurrency"`
	// Rate is the offered rate in operations per second (open loop only).
	Rate float64 `json:"rate_ops,omitempty"`
	// Duration is the measured time (default 10 s).
	Duration time.Duration `json:"duration_ns"`
	// Warmup runs the workload unmeasured before Duration (default 1 s; a
	// negative value means none).
	Warmup time.Duration `json:"warmup_ns"`
}

// DefaultLoad returns a 10 s closed loop with 16 workers and 1 s warm-up.
func DefaultLoad() LoadConfig {
	return LoadConfig{Model: "closed", Concurrency: 16, Duration: 10 * time.Second, Warmup: time.Second}
}

// Validate reports the first problem with the load model.
func (l LoadConfig) Validate() error {
	switch {
	case l.Model != "closed" && l.Model != "open":
		return fmt.Errorf("bench: load model %q (want closed or open)", l.Model)
	case l.Concurrency < 1:
		return fmt.Errorf("bench: concurrency %d < 1", l.Concurrency)
	case l.Model == "open" && !(l.Rate > 0):
		return fmt.Errorf("bench: open loop needs a positive rate, got %v", l.Rate)
	case l.Duration < intervalDuration:
		return fmt.Errorf("bench: duration %v < 1s", l.Duration)
	}
	return nil
}

// RunOptions are per-run extras, all optional.
type RunOptions struct {
	// Name labels the result (default: workload name, target label, model).
	Name string
	// Progress receives a live progress line each second (nil: quiet). Use
	// ProgressWriter to get nil when stderr is not a terminal.
	Progress io.Writer
	// Probe reads server-side metrics before and after the run (nil: none).
	Probe *Probe
	// Actions run at given times during measurement (a scenario starting or
	// killing a node); each becomes an Event in the result.
	Actions []Action
}

// Action is something done At a time after the start of measurement.
type Action struct {
	At   time.Duration
	What string
	Do   func(context.Context) error
}

// Run drives t with w under lc and returns what it measured. The workload's
// records must already be loaded (see Preload). If ctx ends early, Run
// returns the partial result together with ctx's error.
func Run(ctx context.Context, t Target, w *Workload, lc LoadConfig, opt RunOptions) (*Result, error) {
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	res := newResult(t, w, lc, opt)
	before, err := opt.Probe.sample(ctx)
	if err != nil {
		return nil, err
	}
	host := sampleHost()
	r := newRun(t, w, lc)
	start := r.snapshotAtMeasure(ctx)
	stop := r.startProgress(opt.Progress, res.Name)
	events := r.startActions(ctx, opt.Actions)
	r.workers(ctx)
	stop()
	res.Events = events()
	snap0 := start()
	end := time.Now()
	if end.After(r.stop) {
		end = r.stop
	}
	res.StartedAt = r.measure
	st := r.rec.Snapshot()
	res.fill(st, end.Sub(r.measure))
	res.Unsent = r.unsent()
	res.Generator = generatorStats(host, sampleHost(), st.Wake)
	res.Tiers = diffTiers(tiersOf(t), snap0.tiers)
	if o, ok := t.(OriginReporter); ok && res.DurationSec > 0 {
		res.OriginQueries = o.OriginQueries() - snap0.originQueries
		res.OriginQPS = float64(res.OriginQueries) / res.DurationSec
	}
	after, perr := opt.Probe.sample(context.WithoutCancel(ctx))
	res.Nodes = nodeMetrics(before, after)
	return res, errors.Join(ctx.Err(), perr)
}

func newResult(t Target, w *Workload, lc LoadConfig, opt RunOptions) *Result {
	res := &Result{SchemaVersion: SchemaVersion, Workload: w.Config(), Load: lc}
	res.Target = TargetInfo{Kind: "custom", Label: "target"}
	if d, ok := t.(Describer); ok {
		res.Target = d.Info()
	}
	if lc.Model == "open" {
		res.OfferedRate = lc.Rate
	}
	res.Name = opt.Name
	if res.Name == "" {
		res.Name = fmt.Sprintf("%s-%s-%s", res.Workload.Name, res.Target.Label, lc.Model)
	}
	return res
}

type run struct {
	t       Target
	w       *Workload
	lc      LoadConfig
	t0      time.Time // schedule origin (start of warm-up)
	measure time.Time // start of measurement
	stop    time.Time // no operation starts at or after stop
	rec     *Recorder
	next    atomic.Int64 // open loop: next schedule slot
	sent    atomic.Int64 // open loop: measured slots actually started
}

func newRun(t Target, w *Workload, lc LoadConfig) *run {
	now := time.Now()
	r := &run{t: t, w: w, lc: lc, t0: now, measure: now.Add(max(lc.Warmup, 0))}
	r.stop = r.measure.Add(lc.Duration)
	r.rec = NewRecorder(r.measure)
	return r
}

func (r *run) workers(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range r.lc.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.lc.Model == "open" {
				r.openWorker(ctx, i)
			} else {
				r.closedWorker(ctx, i)
			}
		}()
	}
	wg.Wait()
}

func (r *run) closedWorker(ctx context.Context, id int) {
	g := r.w.Generator(id)
	var op Op
	for ctx.Err() == nil {
		start := time.Now()
		if !start.Before(r.stop) {
			return
		}
		g.Next(&op)
		out, err := r.t.Do(ctx, &op)
		end := time.Now()
		if !start.Before(r.measure) {
			r.rec.Record(id, op.Type, end.Sub(start), end, out, err)
		}
	}
}

// openWorker claims schedule slots i = 0, 1, 2 … shared by all workers;
// slot i is intended to start at t0 + i/Rate. A worker that is late (all
// workers were busy) starts immediately, and the latency it records still
// counts from the intended start. No request starts after the stop time:
// slots still owed then are counted as unsent rather than drained.
func (r *run) openWorker(ctx context.Context, id int) {
	g := r.w.Generator(id)
	period := float64(time.Second) / r.lc.Rate
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var op Op
	for ctx.Err() == nil {
		slot := r.next.Add(1) - 1
		intended := r.t0.Add(time.Duration(float64(slot) * period))
		waited := time.Until(intended) > 0
		if !intended.Before(r.stop) || !waitUntil(ctx, timer, intended) || !time.Now().Before(r.stop) {
			return
		}
		if !intended.Before(r.measure) {
			r.sent.Add(1)
			lag := time.Since(intended)
			r.rec.RecordLag(id, lag)
			if waited {
				r.rec.RecordWake(id, lag)
			}
		}
		g.Next(&op)
		out, err := r.t.Do(ctx, &op)
		end := time.Now()
		if !intended.Before(r.measure) {
			r.rec.Record(id, op.Type, end.Sub(intended), end, out, err)
		}
	}
}

// unsent is the number of measured open-loop slots due before the stop
// time that were never started because every worker was busy.
func (r *run) unsent() int64 {
	if r.lc.Model != "open" {
		return 0
	}
	due := int64(math.Ceil(r.lc.Duration.Seconds() * r.lc.Rate))
	return max(due-r.sent.Load(), 0)
}

func waitUntil(ctx context.Context, timer *time.Timer, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	timer.Reset(d)
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// startProgress prints a progress line each second until the returned
// function is called; that function waits for the goroutine to exit.
func (r *run) startProgress(w io.Writer, name string) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case now := <-tick.C:
				r.printProgress(w, name, now)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (r *run) printProgress(w io.Writer, name string, now time.Time) {
	if now.Before(r.measure) {
		fmt.Fprintf(w, "\r\033[K%s  warming up", name)
		return
	}
	ops, p99 := r.rec.Last(now)
	el := now.Sub(r.measure).Truncate(time.Second)
	if el < intervalDuration { // no complete second measured yet
		fmt.Fprintf(w, "\r\033[K%s  0s/%v  measuring", name, r.lc.Duration)
		return
	}
	fmt.Fprintf(w, "\r\033[K%s  %v/%v  %d ops/s  p99 %dµs", name, el, r.lc.Duration, ops, p99)
}

// startActions runs actions at their times in one goroutine; the returned
// function waits for it (skipping actions not yet due) and returns the
// events.
func (r *run) startActions(ctx context.Context, actions []Action) (wait func() []Event) {
	if len(actions) == 0 {
		return func() []Event { return nil }
	}
	wctx, cancel := context.WithCancel(ctx)
	var events []Event
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		for _, a := range actions {
			if !waitUntil(wctx, timer, r.measure.Add(a.At)) {
				return
			}
			ev := Event{T: time.Since(r.measure).Seconds(), What: a.What}
			if err := a.Do(wctx); err != nil {
				ev.What += ": error: " + err.Error()
			} else {
				ev.DoneT = time.Since(r.measure).Seconds()
			}
			events = append(events, ev)
		}
	}()
	return func() []Event { cancel(); wg.Wait(); return events }
}

// targetSnapshot is the target's cumulative counters at one moment.
type targetSnapshot struct {
	tiers         []TierStats
	originQueries int64
}

func snapshotOf(t Target) targetSnapshot {
	s := targetSnapshot{tiers: tiersOf(t)}
	if o, ok := t.(OriginReporter); ok {
		s.originQueries = o.OriginQueries()
	}
	return s
}

// snapshotAtMeasure reads the target's counters when measurement starts
// (after the warm-up), so tier and origin figures cover the measured window
// only; the returned function waits for it. If the run ends first (ctx
// canceled), the snapshot is taken then.
func (r *run) snapshotAtMeasure(ctx context.Context) (wait func() targetSnapshot) {
	if r.lc.Warmup <= 0 {
		s := snapshotOf(r.t)
		return func() targetSnapshot { return s }
	}
	ch := make(chan targetSnapshot, 1)
	go func() { // joined by wait
		timer := time.NewTimer(time.Hour)
		defer timer.Stop()
		waitUntil(ctx, timer, r.measure)
		ch <- snapshotOf(r.t)
	}()
	return func() targetSnapshot { return <-ch }
}

func tiersOf(t Target) []TierStats {
	if tr, ok := t.(TierReporter); ok {
		return tr.Tiers()
	}
	return nil
}

func diffTiers(after, before []TierStats) []TierStats {
	out := make([]TierStats, len(after))
	var served int64
	for i, a := range after {
		for _, b := range before {
			if b.Tier == a.Tier {
				a.Hits, a.Misses, a.Errors = a.Hits-b.Hits, a.Misses-b.Misses, a.Errors-b.Errors
				a.Served -= b.Served
			}
		}
		a.HitRatio = ratio(a.Hits, a.Misses)
		served += a.Served
		out[i] = a
	}
	for i := range out {
		if served > 0 {
			out[i].ServedShare = float64(out[i].Served) / float64(served)
		}
	}
	return out
}
