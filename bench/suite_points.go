package bench

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
)

// suitePoints runs w open loop at each of cfg.Points × the sweep's breaking
// point (none when the sweep found no breaking point), with the sweep's step
// duration, warm-up and concurrency.
func suitePoints(ctx context.Context, cfg SuiteConfig, t *suiteTarget, w *Workload, sr *SweepResult) ([]*Result, error) {
	if sr.BreakingRate <= 0 || sr.GeneratorBound != "" {
		return nil, nil
	}
	var out []*Result
	for _, f := range cfg.Points {
		lc := LoadConfig{Model: "open", Concurrency: cfg.Sweep.Concurrency, Rate: f * sr.BreakingRate,
			Duration: cfg.Sweep.StepDuration, Warmup: cfg.Sweep.Warmup}
		name := fmt.Sprintf("%s-at%.0fpct", sr.Name, 100*f)
		r, err := Run(ctx, t.target, w, lc, RunOptions{Name: name, Progress: cfg.Progress, Probe: t.probe})
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// writeSuitePointsSummary writes, per target, its breaking point and the
// throughput and p99 of the runs at fractions of it.
func writeSuitePointsSummary(w io.Writer, rep *SuiteReport) {
	if len(rep.Sweeps) == 0 {
		return
	}
	fmt.Fprintln(w, "\n== breaking points and operating points (open loop, YCSB sweep workload) ==")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tbreaking point ops/s\toffered ops/s\tachieved ops/s\tp50 µs\tp99 µs\terrors\tunsent\t")
	for _, s := range rep.Sweeps {
		label := labelOf(s.Steps)
		if s.GeneratorBound != "" {
			fmt.Fprintf(tw, "%s\tnot measured (generator-bound)\t\t\t\t\t\t\t\n", label)
			continue
		}
		if s.BreakingRate <= 0 {
			fmt.Fprintf(tw, "%s\tnone (%s)\t\t\t\t\t\t\t\n", label, s.StopReason)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.0f\t\t\t\t\t\t\t\n", label, s.BreakingRate)
		for _, p := range rep.Points {
			if p.Target.Label != label {
				continue
			}
			fmt.Fprintf(tw, "  %s\t\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t\n", pointPct(p, s.BreakingRate), p.Load.Rate,
				p.Throughput, p.Latency.P50Us, p.Latency.P99Us, p.ErrorCount, p.Unsent)
		}
	}
	_ = tw.Flush()
}

func pointPct(p *Result, breaking float64) string {
	return fmt.Sprintf("at %.0f%%", 100*p.Load.Rate/breaking)
}
