package bench

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// writeSuitePlots draws the suite's PNGs: per workload, throughput and p99
// over time and the latency percentiles of every closed-loop round (colour
// per target, line style per round); the sweeps' latency against
// throughput; the SDK step's share of reads per tier; and the hit-ratio
// replay's hit ratio along the trace. A closed-loop hit ratio over time is
// not drawn: the suite preloads every record, so it is 100% throughout.
func writeSuitePlots(out string, rep *SuiteReport) error {
	var errs []error
	for _, g := range byWorkload(rep.Runs) {
		rounds := fmt.Sprintf(" — %s, every round (line style: round)", g.name)
		errs = append(errs,
			plotOverTime(filepath.Join(out, "throughput_over_time_"+g.name+".png"), MetricThroughput, rounds, g.runs),
			plotOverTime(filepath.Join(out, "p99_over_time_"+g.name+".png"), MetricP99, rounds, g.runs),
			plotPercentiles(filepath.Join(out, "percentiles_"+g.name+".png"), rounds, g.runs))
	}
	if len(rep.Sweeps) > 0 {
		errs = append(errs, PlotLatencyVsThroughput(filepath.Join(out, "latency_vs_throughput.png"), rep.Sweeps))
	}
	if len(rep.SDKRuns) > 0 {
		errs = append(errs, PlotTiers(filepath.Join(out, "sdk_tiers.png"), rep.SDKRuns))
	}
	if rep.HitRatio != nil && len(rep.HitRatio.Runs) > 0 {
		errs = append(errs, PlotHitRatioTrace(filepath.Join(out, "hit_ratio_over_time.png"), rep.HitRatio))
	}
	return errors.Join(errs...)
}

type workloadRuns struct {
	name string
	runs []*Result
}

// byWorkload groups runs by workload name, in order of first appearance.
func byWorkload(runs []*Result) []workloadRuns {
	var out []workloadRuns
	idx := map[string]int{}
	for _, r := range runs {
		i, ok := idx[r.Workload.Name]
		if !ok {
			i = len(out)
			idx[r.Workload.Name] = i
			out = append(out, workloadRuns{name: r.Workload.Name})
		}
		out[i].runs = append(out[i].runs, r)
	}
	return out
}

// PlotTiers draws, for each SDK run, the share of reads each tier answered
// (stacked to 100%), with the run's origin queries per 1000 reads in its
// label.
func PlotTiers(path string, runs []*Result) error {
	p := newPlot("Go SDK: which tier answered the reads", "", "share of reads answered (%)")
	tiers := []string{"l1", "cluster", "origin"}
	names := make([]string, len(runs))
	vals := make([]plotter.Values, len(tiers))
	for i, r := range runs {
		names[i] = fmt.Sprintf("%s\n%.0f ops/s, %.1f origin q/1000 reads", r.Target.Label, r.Throughput,
			PerThousand(r.OriginQueries, r.Hits+r.Misses))
		for ti, name := range tiers {
			v := 0.0
			for _, t := range r.Tiers {
				if t.Tier == name {
					v = 100 * t.ServedShare
				}
			}
			vals[ti] = append(vals[ti], v)
		}
	}
	var below *plotter.BarChart
	for ti, name := range tiers {
		b, err := plotter.NewBarChart(vals[ti], vg.Points(60))
		if err != nil {
			return err
		}
		b.Color, b.LineStyle.Width = palette[ti], 0
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add(name, b)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, 100
	p.X.Min, p.X.Max = -0.75, float64(len(runs))-0.25
	return savePNG(p, path)
}

// PlotHitRatioTrace draws each replay run's hit ratio along the trace
// (colour per server and policy, dashed for the above-empty budget), the y
// axis zoomed to the settled part so a point of difference shows; the cold
// start below it is cut.
func PlotHitRatioTrace(path string, rep *HitRatioReport) error {
	p := newPlot("Cache-aside hit ratio along the trace (y zoomed; the cold start is cut)",
		"reads replayed (% of the trace)", "hit ratio of each 2% of the trace (%)")
	colours := map[string]int{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rep.Runs {
		key := r.Server + " " + r.Policy
		if _, ok := colours[key]; !ok {
			colours[key] = len(colours)
		}
		n := len(r.Windows)
		pts := make(plotter.XYs, n)
		for k, v := range r.Windows {
			pts[k] = plotter.XY{X: 100 * float64(k+1) / float64(n), Y: 100 * v}
			if k >= n/10 {
				lo, hi = math.Min(lo, pts[k].Y), math.Max(hi, pts[k].Y)
			}
		}
		if n == 0 {
			continue
		}
		dash := 0
		if r.Budget != "same" {
			dash = 1
		}
		name := fmt.Sprintf("%s, %s budget: warm %.2f%%", key, r.Budget, 100*r.WarmHitRatio)
		if err := addStyledLine(p, colours[key], dash, name, pts); err != nil {
			return err
		}
	}
	if !math.IsInf(lo, 1) {
		p.Y.Min, p.Y.Max = math.Max(0, math.Floor(lo-1)), math.Min(100, math.Ceil(hi+1))
	}
	p.X.Min, p.X.Max = 0, 100
	return savePNG(p, path)
}
