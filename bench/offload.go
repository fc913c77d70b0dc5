package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// OffloadConfig measures how much read load the SDK keeps off the origin: a
// fixed trace of Gets (scrambled Zipfian over Records keys, all present in
// the origin) through the sdk target from a cold cluster, with L1 on and/or
// off, split into a cold first half and a warm second half.
type OffloadConfig struct {
	Env SDKEnvConfig
	// Records is the key space (default 100000), Gets the trace length
	// (default 400000), Theta the Zipfian constant (default 0.99),
	// ValueSize the value length (default 100).
	Records, Gets int64
	Theta         float64
	ValueSize     int
	// Concurrency is the number of goroutines replaying the trace
	// (default 16).
	Concurrency int
	// L1 lists the modes to run, in order (true: L1 on).
	L1   []bool
	Seed uint64
}

// DefaultOffload returns the defaults documented on OffloadConfig, with the
// SQLite origin and a harness-started cluster in dir.
func DefaultOffload(dir string) OffloadConfig {
	return OffloadConfig{Env: SDKEnvConfig{Dir: dir}, Records: 100000, Gets: 400000, Theta: 0.99,
		ValueSize: 100, Concurrency: 16, L1: []bool{true, false}, Seed: 1}
}

// OffloadPhase is one half of the trace.
type OffloadPhase struct {
	Phase         string      `json:"phase"` // "cold" (first half) or "warm"
	Gets          int64       `json:"gets"`
	Errors        int64       `json:"errors"`
	OriginQueries int64       `json:"origin_queries"`
	PerThousand   float64     `json:"origin_queries_per_1000_gets"`
	Tiers         []TierStats `json:"tiers"`
	GetsPerSec    float64     `json:"gets_per_sec"`
}

// OffloadRun is one L1 mode.
type OffloadRun struct {
	Label  string         `json:"label"`
	L1     bool           `json:"l1"`
	Phases []OffloadPhase `json:"phases"`
}

// RunOffload runs the trace once per L1 mode.
func RunOffload(ctx context.Context, cfg OffloadConfig) ([]OffloadRun, string, error) {
	if cfg.Gets < 2 || cfg.Concurrency < 1 || len(cfg.L1) == 0 {
		return nil, "", errors.New("bench: offload needs ≥ 2 gets, a concurrency and an L1 mode")
	}
	wc := WorkloadConfig{Name: "offload", Records: cfg.Records, Mix: Mix{Read: 1}, KeyDist: "scrambled",
		Theta: cfg.Theta, ValueMin: cfg.ValueSize, ValueMax: cfg.ValueSize, Seed: cfg.Seed}
	w, err := NewWorkload(wc)
	if err != nil {
		return nil, "", err
	}
	trace := offloadTrace(w, cfg.Gets)
	env, err := startSDKEnv(ctx, cfg.Env, w)
	if err != nil {
		return nil, "", err
	}
	defer env.close()
	var out []OffloadRun
	for _, l1 := range cfg.L1 {
		run, err := offloadOnce(ctx, env, cfg, l1, trace)
		if err != nil {
			return out, env.note(), err
		}
		out = append(out, run)
	}
	return out, env.note(), nil
}

func offloadTrace(w *Workload, n int64) []string {
	r := rand.New(rand.NewPCG(w.cfg.Seed, w.cfg.Seed^0x9e3779b97f4a7c15))
	out := make([]string, n)
	for i := range out {
		out[i] = KeyName(w.keys.Next(r, w.cfg.Records))
	}
	return out
}

func offloadOnce(ctx context.Context, env *sdkEnv, cfg OffloadConfig, l1 bool, trace []string) (OffloadRun, error) {
	t, err := env.target(ctx, l1, cfg.Concurrency)
	if err != nil {
		return OffloadRun{}, err
	}
	defer t.Close()
	run := OffloadRun{Label: t.Info().Label, L1: l1}
	half := len(trace) / 2
	for i, part := range [][]string{trace[:half], trace[half:]} {
		ph, err := offloadPhase(ctx, t, part, cfg.Concurrency)
		if err != nil {
			return run, err
		}
		ph.Phase = [...]string{"cold", "warm"}[i]
		run.Phases = append(run.Phases, ph)
	}
	return run, nil
}

// offloadPhase replays keys through t with conc goroutines and returns the
// tier and origin counters of the phase.
func offloadPhase(ctx context.Context, t *SDK, keys []string, conc int) (OffloadPhase, error) {
	before, q0 := t.Tiers(), t.OriginQueries()
	start := time.Now()
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(keys)) && ctx.Err() == nil; i = next.Add(1) - 1 {
				if _, err := t.get(ctx, keys[i]); err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	ph := OffloadPhase{Gets: int64(len(keys)), Errors: errs.Load(), OriginQueries: t.OriginQueries() - q0,
		Tiers: diffTiers(t.Tiers(), before), GetsPerSec: float64(len(keys)) / time.Since(start).Seconds()}
	ph.PerThousand = PerThousand(ph.OriginQueries, ph.Gets)
	return ph, ctx.Err()
}

// WriteOffloadSummary writes one row per mode and phase. "node errors" are
// cluster reads that failed (timeouts, an open breaker): each sends its Get
// to the origin.
func WriteOffloadSummary(w io.Writer, runs []OffloadRun) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tphase\tgets\torigin q/1000 gets\tL1 %\tcluster %\torigin %\tnode errors\terrors\tgets/s\t")
	for _, r := range runs {
		for _, p := range r.Phases {
			share, nodeErrs := map[string]float64{}, int64(0)
			for _, t := range p.Tiers {
				share[t.Tier] = 100 * t.ServedShare
				if t.Tier == "cluster" {
					nodeErrs = t.Errors
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%.0f\t\n", r.Label, p.Phase, p.Gets,
				p.PerThousand, share["l1"], share["cluster"], share["origin"], nodeErrs, p.Errors, p.GetsPerSec)
		}
	}
	return tw.Flush()
}
