package bench

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
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
