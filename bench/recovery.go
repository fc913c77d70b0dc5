package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Recovery says how far a per-second metric fell after a scenario event
// and how long it took to come back. Resolution: one second (the
// intervals).
type Recovery struct {
	// Metric is "throughput_ops", "hit_ratio" or "p99_us".
	Metric string `json:"metric"`
	// Baseline is the mean over the (up to) 5 whole seconds before the
	// event, not counting the first second of the run.
	Baseline float64 `json:"baseline"`
	// Worst is the worst second from the one holding the event on, at
	// WorstAtSec (the end of that second).
	Worst      float64 `json:"worst"`
	WorstAtSec float64 `json:"worst_at_sec"`
	// Level defines recovered: at least Level × Baseline for throughput and
	// hit ratio, at most Baseline / Level for p99.
	Level float64 `json:"level"`
	// RecoveredAfterSec is the time from the event to the start of the first
	// 3 consecutive seconds within Level after the worst second (0: even the
	// worst second was within Level); -1 when the run ended first.
	RecoveredAfterSec float64 `json:"recovered_after_sec"`
}

// recoveryWindow is how many consecutive seconds must be within the level.
const recoveryWindow = 3

// recoveryLevels are the metrics and levels Recoveries reports.
var recoveryLevels = []struct {
	metric string
	level  float64
	get    func(Interval) float64
	higher bool // higher is better
}{
	{"throughput_ops", 0.9, func(iv Interval) float64 { return iv.Throughput }, true},
	{"hit_ratio", 0.95, func(iv Interval) float64 { return iv.HitRatio }, true},
	{"hit_ratio", 0.99, func(iv Interval) float64 { return iv.HitRatio }, true},
	{"p99_us", 0.5, func(iv Interval) float64 { return float64(iv.P99Us) }, false},
}

// Recoveries computes throughput (back to 90% of baseline), hit ratio (95%
// and 99%) and p99 (back under 2× baseline) recovery after an event at
// eventT seconds. It returns nil when no whole second precedes the event.
func Recoveries(ivs []Interval, eventT float64) []Recovery {
	var before, after []Interval
	for _, iv := range ivs {
		switch {
		case iv.T <= eventT && iv.T > 1:
			before = append(before, iv)
		case iv.T > eventT:
			after = append(after, iv)
		}
	}
	if len(before) > 5 {
		before = before[len(before)-5:]
	}
	if len(before) == 0 || len(after) == 0 {
		return nil
	}
	out := make([]Recovery, 0, len(recoveryLevels))
	for _, l := range recoveryLevels {
		var sum float64
		for _, iv := range before {
			sum += l.get(iv)
		}
		r := Recovery{Metric: l.metric, Baseline: sum / float64(len(before)), Level: l.level, RecoveredAfterSec: -1}
		ok := func(iv Interval) bool {
			if l.higher {
				return l.get(iv) >= l.level*r.Baseline
			}
			return l.get(iv) <= r.Baseline/l.level
		}
		worst := 0
		for i, iv := range after {
			if v := l.get(iv); i == 0 || (l.higher && v < r.Worst) || (!l.higher && v > r.Worst) {
				r.Worst, r.WorstAtSec, worst = v, iv.T, i
			}
		}
		if ok(after[worst]) {
			r.RecoveredAfterSec = 0
		}
		for i := worst + 1; r.RecoveredAfterSec < 0 && i+recoveryWindow <= len(after); i++ {
			if allOK(after[i:i+recoveryWindow], ok) {
				r.RecoveredAfterSec = after[i].T - 1 - eventT
			}
		}
		out = append(out, r)
	}
	return out
}

func allOK(ivs []Interval, ok func(Interval) bool) bool {
	for _, iv := range ivs {
		if !ok(iv) {
			return false
		}
	}
	return true
}

// WriteScenarioSummary writes the run's summary line, its events and the
// recovery table.
func WriteScenarioSummary(w io.Writer, sr *ScenarioResult) error {
	fmt.Fprintf(w, "scenario %s: %d nodes, redirect %s, client %s, gossip %s, fill on miss %v\n",
		sr.Kind, sr.Nodes, sr.Redirect, sr.Client, sr.Gossip, sr.Fill)
	if sr.Result == nil {
		return nil
	}
	if err := WriteSummary(w, []*Result{sr.Result}); err != nil {
		return err
	}
	for _, e := range sr.Result.Events {
		done := "ring did not agree before the end of the run"
		if e.DoneT > 0 {
			done = fmt.Sprintf("ring agreed at t=%.1fs (%.1fs after)", e.DoneT, e.DoneT-e.T)
		}
		fmt.Fprintf(w, "event at t=%.1fs: %s; %s\n", e.T, e.What, done)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric\tbaseline\tworst\tworst at s\trecovered when\trecovered after s\t")
	for _, r := range sr.Recovery {
		after := "not in run"
		if r.RecoveredAfterSec >= 0 {
			after = fmt.Sprintf("%.0f", r.RecoveredAfterSec)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t\n", r.Metric, fmtMetric(r.Metric, r.Baseline),
			fmtMetric(r.Metric, r.Worst), r.WorstAtSec, levelText(r), after)
	}
	return tw.Flush()
}

func fmtMetric(metric string, v float64) string {
	if metric == "hit_ratio" {
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	return fmt.Sprintf("%.0f", v)
}

func levelText(r Recovery) string {
	if r.Metric == "p99_us" {
		return fmt.Sprintf("<= %.3gx baseline", 1/r.Level)
	}
	return fmt.Sprintf(">= %.0f%% of baseline", 100*r.Level)
}
