package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SuiteConfig is the short standard suite (make bench): redis-server, a
// single ringcache node and a 3-node ringcache cluster side by side, YCSB B and C with Zipfian keys, a
// closed loop in interleaved rounds, a short open-loop sweep of B and runs at
// 50% and 90% of each breaking point; then
// YCSB C through the Go SDK with L1 on and off over a SQLite origin, and
// the cache-aside hit-ratio replay (redis-server vs cacheserver at the same
// maxmemory). DefaultSuite finishes in under three minutes on a 2-core
// machine.
type SuiteConfig struct {
	// Out is the report directory. Required.
	Out string
	// RedisBin and CacheserverBin start the servers (defaults
	// "redis-server" and "bin/cacheserver"); RedisAddr and RingcacheAddr
	// use running servers instead.
	RedisBin, CacheserverBin string
	RedisAddr, RingcacheAddr string
	// ClusterNodes is the size of the ringcache cluster target (default 3;
	// 0: no cluster target), started with --redirect moved and driven by
	// go-redis's ClusterClient; ClusterAddr uses a running cluster (any
	// node) instead.
	ClusterNodes int
	ClusterAddr  string
	// Workloads are YCSB letters (default b, c); Records per workload
	// (default 100000, 100-byte values, scrambled Zipfian θ=0.99).
	Workloads []string
	Records   int64
	// Closed is the closed-loop model and Rounds its rounds per target
	// (defaults: 32 workers, 5 s, 1 s warm-up; 2 rounds).
	Closed LoadConfig
	Rounds int
	// Sweep is the sweep of the first workload (default 1000 ops/s × 2 per
	// step up to 256000, 2 s steps, SLO p99 5 ms: generous, because the
	// suite shares 2 cores with the servers; at least 4 steps).
	Sweep SweepConfig
	// Points are fractions of each target's breaking point at which an
	// open-loop run of Sweep's step duration and concurrency reports
	// throughput and p99 (default 0.5 and 0.9).
	Points []float64
	// SDK is the sdk step (nil: skipped); HitRatio the hit-ratio step
	// (nil: skipped). Their Dir and binaries are filled in by RunSuite.
	SDK      *SDKRunConfig
	HitRatio *HitRatioConfig
	// Steps receives one line per step: elapsed time, ETA, what runs (nil:
	// quiet). Progress receives the live per-second line of each timed run
	// (nil: none; a terminal only, as it rewrites its line). Logger gets
	// notes.
	Steps    io.Writer
	Progress io.Writer
	Logger   *slog.Logger
}

// DefaultSuite returns the standard suite writing to out.
func DefaultSuite(out string) SuiteConfig {
	sw := DefaultSweep()
	sw.StartRate, sw.Factor, sw.MaxRate, sw.StepDuration, sw.SLO = 1000, 2, 256000, 2*time.Second, 5*time.Millisecond
	sw.MinSteps = 4 // always draw a curve, even when the first step fails
	hr := DefaultHitRatio("")
	hr.Requests = 500000
	return SuiteConfig{Out: out, RedisBin: "redis-server", CacheserverBin: "bin/cacheserver",
		ClusterNodes: 3, Workloads: []string{"b", "c"}, Records: 100000, Rounds: 2, Sweep: sw, Points: []float64{0.5, 0.9},
		Closed:   LoadConfig{Model: "closed", Concurrency: 32, Duration: 4 * time.Second, Warmup: time.Second},
		SDK:      DefaultSuiteSDK(),
		HitRatio: &hr}
}

// SuiteReport is what RunSuite wrote.
type SuiteReport struct {
	Runs     []*Result
	Compares []*CompareResult
	Sweeps   []*SweepResult
	// Points are the open-loop runs at fractions of each sweep's breaking
	// point (SuiteConfig.Points), in sweep order.
	Points   []*Result
	SDKRuns  []*Result
	HitRatio *HitRatioReport
	Notes    []string
}

// RunSuite runs the suite and writes summary.txt, one JSON per run,
// results.csv and the PNG plots under cfg.Out.
func RunSuite(ctx context.Context, cfg SuiteConfig) (*SuiteReport, error) {
	if cfg.Out == "" {
		return nil, errors.New("bench: suite needs an output directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rep := &SuiteReport{}
	specs := suiteTargetSpecs(ctx, cfg)
	labels := make([]string, len(specs))
	for i, s := range specs {
		labels[i] = s.label
	}
	prog := newSuiteProgress(cfg, labels)
	targets := startSuiteTargets(ctx, cfg, specs, rep, prog)
	defer closeSuiteTargets(targets)
	if len(targets) == 0 {
		return rep, fmt.Errorf("bench: suite has no target: %s", strings.Join(rep.Notes, "; "))
	}
	for _, letter := range cfg.Workloads {
		if err := suiteClosed(ctx, cfg, letter, targets, rep, prog); err != nil {
			return rep, err
		}
	}
	if err := suiteSweeps(ctx, cfg, targets, rep, prog); err != nil {
		return rep, err
	}
	if err := suiteSDK(ctx, cfg, rep, prog); err != nil {
		return rep, err
	}
	if err := suiteHitRatio(ctx, cfg, rep, prog); err != nil {
		return rep, err
	}
	prog.done()
	return rep, writeSuiteReport(cfg, rep)
}

// suiteWorkload loads letter's records into t (after FLUSHALL-free reuse:
// keys are overwritten) and returns the workload.
func suiteWorkload(ctx context.Context, cfg SuiteConfig, letter string, t *suiteTarget) (*Workload, error) {
	wc, err := YCSB(letter)
	if err != nil {
		return nil, err
	}
	wc.Records = cfg.Records
	w, err := NewWorkload(wc)
	if err != nil {
		return nil, err
	}
	return w, Preload(ctx, t.target, w, 8)
}

// suiteClosed runs letter closed loop on every target in interleaved
// rounds (all targets in round 1, then round 2, …) and compares each
// target with the first (redis-server when it runs).
func suiteClosed(ctx context.Context, cfg SuiteConfig, letter string, ts []*suiteTarget, rep *SuiteReport, prog *suiteProgress) error {
	ws := make([]*Workload, len(ts))
	for i, t := range ts {
		prog.step("load "+letter+" "+t.label, fmt.Sprintf("loading %d YCSB-%s records into %s", cfg.Records, strings.ToUpper(letter), t.label))
		w, err := suiteWorkload(ctx, cfg, letter, t)
		if err != nil {
			return fmt.Errorf("bench: load %s: %w", t.label, err)
		}
		ws[i] = w
	}
	name := "ycsb-" + letter
	runs := make([][]*Result, len(ts))
	for r := range cfg.Rounds {
		for i, t := range ts {
			prog.step(fmt.Sprintf("closed %s %s r%d", letter, t.label, r+1), fmt.Sprintf("closed loop YCSB-%s on %s, round %d/%d, %d workers, %v",
				strings.ToUpper(letter), t.label, r+1, cfg.Rounds, cfg.Closed.Concurrency, max(cfg.Closed.Warmup, 0)+cfg.Closed.Duration))
			res, err := Run(ctx, t.target, ws[i], cfg.Closed,
				RunOptions{Name: fmt.Sprintf("%s-%s-r%d", name, t.label, r+1), Progress: cfg.Progress, Probe: t.probe})
			if err != nil {
				return err
			}
			runs[i] = append(runs[i], res)
			rep.Runs = append(rep.Runs, res)
		}
	}
	for i := 1; i < len(ts); i++ {
		rep.Compares = append(rep.Compares, CompareRuns(fmt.Sprintf("%s-%s-vs-%s", name, ts[0].label, ts[i].label), runs[0], runs[i]))
	}
	return nil
}

func suiteSweeps(ctx context.Context, cfg SuiteConfig, ts []*suiteTarget, rep *SuiteReport, prog *suiteProgress) error {
	letter := cfg.Workloads[0]
	for _, t := range ts {
		prog.step("load sweep "+t.label, fmt.Sprintf("loading %d YCSB-%s records into %s for the sweep", cfg.Records, strings.ToUpper(letter), t.label))
		w, err := suiteWorkload(ctx, cfg, letter, t)
		if err != nil {
			return err
		}
		prog.step("sweep "+t.label, fmt.Sprintf("open-loop sweep YCSB-%s on %s: %.0f ops/s ×%g per %v step up to %.0f, until p99 > %v",
			strings.ToUpper(letter), t.label, cfg.Sweep.StartRate, cfg.Sweep.Factor, cfg.Sweep.StepDuration, cfg.Sweep.MaxRate, cfg.Sweep.SLO))
		sr, err := Sweep(ctx, t.target, w, cfg.Sweep, fmt.Sprintf("sweep-ycsb-%s-%s", letter, t.label), cfg.Progress, nil)
		if err != nil {
			return err
		}
		rep.Sweeps = append(rep.Sweeps, sr)
		prog.step("points "+t.label, fmt.Sprintf("operating points on %s at %v × its breaking point — sweep result: %s",
			t.label, cfg.Points, sr.BreakingLine()))
		pts, err := suitePoints(ctx, cfg, t, w, sr)
		rep.Points = append(rep.Points, pts...)
		if err != nil {
			return err
		}
	}
	return nil
}

func writeSuiteReport(cfg SuiteConfig, rep *SuiteReport) error {
	var errs []error
	for _, r := range append(append(append([]*Result(nil), rep.Runs...), rep.Points...), rep.SDKRuns...) {
		errs = append(errs, WriteJSON(filepath.Join(cfg.Out, "runs", SafeName(r.Name)+".json"), r))
	}
	if rep.HitRatio != nil {
		errs = append(errs, WriteJSON(filepath.Join(cfg.Out, "hitratio.json"), rep.HitRatio))
	}
	for _, c := range rep.Compares {
		errs = append(errs, WriteJSON(filepath.Join(cfg.Out, "compare-"+SafeName(c.Name)+".json"), c))
	}
	var steps []*Result
	for _, s := range rep.Sweeps {
		errs = append(errs, WriteJSON(filepath.Join(cfg.Out, SafeName(s.Name)+".json"), s))
		steps = append(steps, s.Steps...)
	}
	all := append(append(append(append([]*Result(nil), rep.Runs...), steps...), rep.Points...), rep.SDKRuns...)
	errs = append(errs, WriteCSVFile(filepath.Join(cfg.Out, "results.csv"), all))
	errs = append(errs, writeSuitePlots(cfg.Out, rep), writeSuiteSummary(cfg, rep))
	return errors.Join(errs...)
}

func writeSuiteSummary(cfg SuiteConfig, rep *SuiteReport) error {
	f, err := os.Create(filepath.Join(cfg.Out, "summary.txt"))
	if err != nil {
		return err
	}
	WriteSuiteSummary(f, rep)
	return f.Close()
}

// WriteSuiteSummary writes the human report of a suite.
func WriteSuiteSummary(w io.Writer, rep *SuiteReport) {
	fmt.Fprintf(w, "ringcache bench suite, %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintln(w, "2-core machine shared with the load generator: figures are noisy; compare ratios, not absolutes.")
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "NOTE: %s\n", n)
	}
	fmt.Fprintln(w, "\n== closed loop, all rounds ==")
	_ = WriteSummary(w, rep.Runs)
	for _, c := range rep.Compares {
		fmt.Fprintln(w)
		WriteCompareSummary(w, c, labelOf(c.A), labelOf(c.B))
	}
	for _, s := range rep.Sweeps {
		fmt.Fprintf(w, "\n== sweep %s (open loop, SLO p99 %dµs) ==\n", s.Name, s.SLOP99Us)
		_ = WriteSummary(w, s.Steps)
		fmt.Fprintln(w, s.BreakingLine())
	}
	writeSuitePointsSummary(w, rep)
	writeSuiteSDKSummary(w, rep)
}

func labelOf(rs []*Result) string {
	if len(rs) == 0 {
		return ""
	}
	return rs[0].Target.Label
}
