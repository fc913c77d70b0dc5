package bench

import (
	"context"
	"fmt"
	"io"
	"sort"
)

// CompareResult holds the rounds of a side-by-side comparison and the
// ratios B/A of the medians over rounds (throughput ratio > 1: B is faster;
// latency ratio > 1: B is slower).
type CompareResult struct {
	SchemaVersion int       `json:"schema_version"`
	Name          string    `json:"name"`
	A             []*Result `json:"a"`
	B             []*Result `json:"b"`
	MedianA       Medians   `json:"median_a"`
	MedianB       Medians   `json:"median_b"`
	Ratio         Medians   `json:"ratio_b_over_a"`
}

// Medians are medians over rounds of a run's headline figures.
type Medians struct {
	Throughput float64 `json:"throughput_ops"`
	P50Us      float64 `json:"p50_us"`
	P99Us      float64 `json:"p99_us"`
	P999Us     float64 `json:"p999_us"`
	HitRatio   float64 `json:"hit_ratio"`
}

// CompareTarget is one side of a comparison: a target, its own Workload
// (built from the same WorkloadConfig as the other side, so both see the same
// key sequence), and an optional Probe.
type CompareTarget struct {
	Label    string
	Target   Target
	Workload *Workload
	Probe    *Probe
}

// Compare runs the same load against a and b in alternating rounds
// (A B A B …), so drift on a shared machine hits both sides alike.
func Compare(ctx context.Context, name string, a, b CompareTarget, lc LoadConfig, rounds int, progress io.Writer) (*CompareResult, error) {
	if rounds < 1 {
		return nil, fmt.Errorf("bench: compare needs at least one round, got %d", rounds)
	}
	cr := &CompareResult{SchemaVersion: SchemaVersion, Name: name}
	for i := range rounds {
		for _, side := range []struct {
			t   CompareTarget
			out *[]*Result
		}{{a, &cr.A}, {b, &cr.B}} {
			opt := RunOptions{Name: fmt.Sprintf("%s-%s-r%d", name, side.t.Label, i+1), Progress: progress, Probe: side.t.Probe}
			r, err := Run(ctx, side.t.Target, side.t.Workload, lc, opt)
			if err != nil {
				return cr, err
			}
			*side.out = append(*side.out, r)
		}
	}
	return CompareRuns(name, cr.A, cr.B), nil
}

// CompareRuns builds a CompareResult from rounds already run (medians and
// ratios B/A).
func CompareRuns(name string, a, b []*Result) *CompareResult {
	cr := &CompareResult{SchemaVersion: SchemaVersion, Name: name, A: a, B: b}
	cr.MedianA, cr.MedianB = medians(cr.A), medians(cr.B)
	cr.Ratio = Medians{Throughput: div(cr.MedianB.Throughput, cr.MedianA.Throughput),
		P50Us: div(cr.MedianB.P50Us, cr.MedianA.P50Us), P99Us: div(cr.MedianB.P99Us, cr.MedianA.P99Us),
		P999Us: div(cr.MedianB.P999Us, cr.MedianA.P999Us), HitRatio: div(cr.MedianB.HitRatio, cr.MedianA.HitRatio)}
	return cr
}

func medians(rs []*Result) Medians {
	pick := func(f func(*Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return Median(v)
	}
	return Medians{Throughput: pick(func(r *Result) float64 { return r.Throughput }),
		P50Us:    pick(func(r *Result) float64 { return float64(r.Latency.P50Us) }),
		P99Us:    pick(func(r *Result) float64 { return float64(r.Latency.P99Us) }),
		P999Us:   pick(func(r *Result) float64 { return float64(r.Latency.P999Us) }),
		HitRatio: pick(func(r *Result) float64 { return r.HitRatio })}
}

// Median returns the median of v (the mean of the middle two for an even
// count; 0 for none). v is not modified.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// WriteCompareSummary writes the medians and ratios as a table.
func WriteCompareSummary(w io.Writer, cr *CompareResult, labelA, labelB string) {
	fmt.Fprintf(w, "%s: medians over %d rounds (A=%s, B=%s)\n", cr.Name, len(cr.A), labelA, labelB)
	fmt.Fprintf(w, "  %-10s %14s %10s %10s %10s %8s\n", "", "ops/s", "p50 µs", "p99 µs", "p99.9 µs", "hit %")
	row := func(label string, m Medians, pct float64) {
		fmt.Fprintf(w, "  %-10s %14.0f %10.0f %10.0f %10.0f %8.2f\n", label, m.Throughput, m.P50Us, m.P99Us, m.P999Us, pct*m.HitRatio)
	}
	row("A", cr.MedianA, 100)
	row("B", cr.MedianB, 100)
	fmt.Fprintf(w, "  %-10s %14.3f %10.3f %10.3f %10.3f %8.3f\n", "B/A", cr.Ratio.Throughput, cr.Ratio.P50Us,
		cr.Ratio.P99Us, cr.Ratio.P999Us, cr.Ratio.HitRatio)
}
