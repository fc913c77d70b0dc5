package bench

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
)

func sampleSweep(name string, scale float64) *SweepResult {
	sr := &SweepResult{SchemaVersion: SchemaVersion, Name: name, SLOP99Us: 1000}
	for i, rate := range []float64{1000, 2000, 4000, 8000, 16000} {
		r := sampleResult()
		r.Throughput = rate * 0.99
		r.Latency.P50Us = int64(80 * scale * float64(i+1))
		r.Latency.P99Us = int64(200 * scale * float64(i*i+1))
		sr.Steps = append(sr.Steps, r)
	}
	return sr
}

func sampleSeries(name string, n int) *Result {
	r := sampleResult()
	r.Name = name
	r.Intervals = nil
	for i := range n {
		r.Intervals = append(r.Intervals, Interval{T: float64(i + 1), Throughput: 40000 + float64(i%3)*1000,
			P99Us: int64(300 + 50*(i%4)), HitRatio: 0.5 + 0.04*float64(i)})
	}
	r.Events = []Event{{T: 5, What: "kill node", DoneT: 7}}
	return r
}

// TestPlotsRenderPNG renders each plot type and checks the file decodes as
// a PNG of the documented size.
func TestPlotsRenderPNG(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := sampleSeries("redis", 10), sampleSeries("ringcache", 10)
	b.Percentiles = []PercentilePoint{{50, 120}, {90, 200}, {99, 500}, {99.9, 1500}, {99.99, 4000}, {100, 9000}}
	plots := map[string]func(string) error{
		"sweep.png": func(p string) error {
			return PlotLatencyVsThroughput(p, []*SweepResult{sampleSweep("redis", 1), sampleSweep("ringcache", 1.3)})
		},
		"throughput.png":  func(p string) error { return PlotOverTime(p, MetricThroughput, []*Result{a, b}) },
		"p99.png":         func(p string) error { return PlotOverTime(p, MetricP99, []*Result{a, b}) },
		"hitratio.png":    func(p string) error { return PlotOverTime(p, MetricHitRatio, []*Result{a}) },
		"percentiles.png": func(p string) error { return PlotPercentiles(p, []*Result{sampleResult(), b}) },
		"tiers.png":       func(p string) error { return PlotTiers(p, sampleSDKRuns()) },
		"hitratio_trace.png": func(p string) error {
			return PlotHitRatioTrace(p, sampleHitRatioReport())
		},
	}
	for name, draw := range plots {
		path := filepath.Join(dir, name)
		if err := draw(path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkPNG(t, path)
		if dst := os.Getenv("BENCH_PLOT_DIR"); dst != "" { // to look at them
			b, _ := os.ReadFile(path)
			_ = os.WriteFile(filepath.Join(dst, name), b, 0o644)
		}
	}
	if err := PlotOverTime(filepath.Join(dir, "x.png"), "latency", nil); err == nil {
		t.Error("unknown metric accepted")
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != PlotWidthPx || b.Dy() != PlotHeightPx {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), PlotWidthPx, PlotHeightPx)
	}
}

func sampleSDKRuns() []*Result {
	on, off := sampleResult(), sampleResult()
	on.Target.Label, off.Target.Label = "sdk-l1-sqlite", "sdk-nol1-sqlite"
	on.Tiers = []TierStats{{Tier: "l1", ServedShare: 0.7}, {Tier: "cluster", ServedShare: 0.25}, {Tier: "origin", ServedShare: 0.05}}
	off.Tiers = []TierStats{{Tier: "l1"}, {Tier: "cluster", ServedShare: 0.93}, {Tier: "origin", ServedShare: 0.07}}
	return []*Result{on, off}
}

func sampleHitRatioReport() *HitRatioReport {
	rep := &HitRatioReport{}
	for i, s := range []string{"redis", "ringcache"} {
		for j, b := range []string{"same", "above-empty"} {
			r := HitRatioRun{Server: s, Policy: "allkeys-lfu", Budget: b, WarmHitRatio: 0.6 + 0.01*float64(i+j)}
			for k := range hitRatioWindows {
				r.Windows = append(r.Windows, r.WarmHitRatio*(1-math.Exp(-float64(k+1)/3)))
			}
			rep.Runs = append(rep.Runs, r)
		}
	}
	return rep
}

// TestLogTicksReadable checks, for ranges from a fraction of a decade to
// six decades, that at least two ticks are labelled, both ends of the
// widened range are labelled, and labelled ticks are at least a tenth of
// the axis apart (so their labels cannot overlap on a plot of ordinary size).
func TestLogTicksReadable(t *testing.T) {
	for _, r := range [][2]float64{{0.21, 0.45}, {0.08, 0.9}, {0.3, 4.2}, {90, 4500}, {1000, 256000}, {12, 9e6}, {1, 1.01}} {
		a := plot.Axis{Min: r[0], Max: r[1]}
		niceLogRange(&a)
		var labels []plot.Tick
		for _, tk := range (logTicks{}).Ticks(a.Min, a.Max) {
			if tk.Label != "" {
				labels = append(labels, tk)
			}
		}
		if len(labels) < 2 || labels[0].Value != a.Min || labels[len(labels)-1].Value != a.Max {
			t.Errorf("range %v → [%v, %v]: labels %v", r, a.Min, a.Max, labels)
			continue
		}
		span := math.Log10(a.Max / a.Min)
		for i := 1; i < len(labels); i++ {
			if gap := math.Log10(labels[i].Value / labels[i-1].Value); gap < 0.1*span {
				t.Errorf("range %v: labels %q and %q only %.0f%% of the axis apart", r, labels[i-1].Label, labels[i].Label, 100*gap/span)
			}
		}
	}
	if got := tickLabel(250000); got != "250k" {
		t.Errorf("tickLabel(250000) = %q", got)
	}
}
