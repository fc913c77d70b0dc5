package bench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// SweepConfig raises the offered rate step by step (open loop) until the
// p99 exceeds SLO or errors appear. DefaultSweep starts at 1000 ops/s and
// grows by half each step.
type SweepConfig struct {
	// StartRate is the first offered rate in ops/s (default 1000).
	StartRate float64 `json:"start_rate_ops"`
	// Factor multiplies the rate each step when > 1 (default 1.5).
	Factor float64 `json:"factor"`
	// Step is added to the rate each step instead, when positive.
	Step float64 `json:"step_ops,omitempty"`
	// MaxRate ends the sweep even if the SLO still holds (default 1e6).
	MaxRate float64 `json:"max_rate_ops"`
	// SLO is the p99 latency bound (default 1 ms).
	SLO time.Duration `json:"slo_p99_ns"`
	// StepDuration and Warmup are the measured and unmeasured time per step
	// (defaults 5 s and 500 ms).
	StepDuration time.Duration `json:"step_duration_ns"`
	Warmup       time.Duration `json:"warmup_ns"`
	// Concurrency caps requests in flight (default 64).
	Concurrency int `json:"concurrency"`
	// MinSteps runs at least this many steps even past the first failing
	// one, to draw the latency curve (default 0). The breaking point is
	// still the last rate before the first failure.
	MinSteps int `json:"min_steps,omitempty"`
}

// DefaultSweep returns the defaults documented on SweepConfig.
func DefaultSweep() SweepConfig {
	return SweepConfig{StartRate: 1000, Factor: 1.5, MaxRate: 1e6, SLO: time.Millisecond,
		StepDuration: 5 * time.Second, Warmup: 500 * time.Millisecond, Concurrency: 64}
}

// Validate reports the first problem with the sweep.
func (c SweepConfig) Validate() error {
	switch {
	case !(c.StartRate > 0) || c.MaxRate < c.StartRate:
		return fmt.Errorf("bench: sweep rates start %v max %v", c.StartRate, c.MaxRate)
	case c.Step <= 0 && !(c.Factor > 1):
		return fmt.Errorf("bench: sweep needs factor > 1 or step > 0")
	case c.SLO <= 0:
		return fmt.Errorf("bench: sweep SLO %v", c.SLO)
	}
	return LoadConfig{Model: "open", Concurrency: c.Concurrency, Rate: c.StartRate, Duration: c.StepDuration}.Validate()
}

// SweepResult is a sweep's steps and its breaking point: the highest
// offered rate whose p99 met the SLO without errors (0 if none did).
// GeneratorBound, when set, says why the first failing step measured the
// load generator rather than the target (see GeneratorVerdict): the
// breaking point is then only a lower bound and is not reported as one.
type SweepResult struct {
	SchemaVersion      int         `json:"schema_version"`
	Name               string      `json:"name"`
	Config             SweepConfig `json:"config"`
	SLOP99Us           int64       `json:"slo_p99_us"`
	BreakingRate       float64     `json:"breaking_rate_ops"`
	BreakingThroughput float64     `json:"breaking_throughput_ops"`
	StopReason         string      `json:"stop_reason"`
	GeneratorBound     string      `json:"generator_bound,omitempty"`
	Steps              []*Result   `json:"steps"`
}

// Sweep runs the steps of cfg against t; progress as in RunOptions.
func Sweep(ctx context.Context, t Target, w *Workload, cfg SweepConfig, name string, progress io.Writer, probe *Probe) (*SweepResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sr := &SweepResult{SchemaVersion: SchemaVersion, Name: name, Config: cfg, SLOP99Us: cfg.SLO.Microseconds()}
	failed := false
	for rate := cfg.StartRate; rate <= cfg.MaxRate; rate = cfg.next(rate) {
		lc := LoadConfig{Model: "open", Concurrency: cfg.Concurrency, Rate: rate, Duration: cfg.StepDuration, Warmup: cfg.Warmup}
		r, err := Run(ctx, t, w, lc, RunOptions{Name: fmt.Sprintf("%s@%.0f", name, rate), Progress: progress, Probe: probe})
		if err != nil {
			return sr, err
		}
		sr.Steps = append(sr.Steps, r)
		if v := stepVerdict(r, cfg); v != "" && !failed {
			failed, sr.StopReason, sr.GeneratorBound = true, v, GeneratorVerdict(r, cfg.SLO)
		}
		if !failed {
			sr.BreakingRate, sr.BreakingThroughput = rate, r.Throughput
		}
		if failed && len(sr.Steps) >= cfg.MinSteps {
			return sr, nil
		}
	}
	if !failed {
		sr.StopReason = fmt.Sprintf("reached max rate %.0f within the SLO", cfg.MaxRate)
	}
	return sr, nil
}

// unsentFails: the requests still unsent at the end of the step are more
// than 1% of the step's (enough to move its p99) and more than one SLO's
// worth of schedule (so the last of them was already later than the SLO).
// Unsent slots are always the latest ones, so a backlog of U requests at
// rate R is U/R seconds of schedule: a generator that wakes a few
// milliseconds late leaves a few unsent without any failure.
func unsentFails(r *Result, slo time.Duration) bool {
	u := float64(r.Unsent)
	return u > 0.01*r.OfferedRate*r.DurationSec && u > r.OfferedRate*slo.Seconds()
}

// BreakingLine is the one-line verdict of a sweep for summaries.
func (sr *SweepResult) BreakingLine() string {
	if sr.GeneratorBound != "" {
		return fmt.Sprintf("breaking point: not measured: the load generator (or the machine it shares), not the target, was the bottleneck at the first failing step (%s): %s",
			sr.StopReason, sr.GeneratorBound)
	}
	return fmt.Sprintf("breaking point: %.0f ops/s offered (%.0f achieved); stopped: %s", sr.BreakingRate, sr.BreakingThroughput, sr.StopReason)
}

func (c SweepConfig) next(rate float64) float64 {
	if c.Step > 0 {
		return rate + c.Step
	}
	return rate * c.Factor
}

// stepVerdict returns why a step fails the sweep, or "".
func stepVerdict(r *Result, cfg SweepConfig) string {
	switch {
	case r.ErrorCount > 0:
		return fmt.Sprintf("errors at %.0f ops/s: %s", r.OfferedRate, formatCounts(r.Errors))
	case unsentFails(r, cfg.SLO):
		return fmt.Sprintf("could not keep up at %.0f ops/s: %d requests never sent (raise concurrency?)", r.OfferedRate, r.Unsent)
	case r.Latency.P99Us > cfg.SLO.Microseconds():
		return fmt.Sprintf("p99 %dµs > SLO %dµs at %.0f ops/s", r.Latency.P99Us, cfg.SLO.Microseconds(), r.OfferedRate)
	}
	return ""
}
