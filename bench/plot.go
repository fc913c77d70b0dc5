package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot size: 8 × 5 inches at 96 dpi, i.e. 768 × 480 pixels.
const (
	PlotWidthPx  = 768
	PlotHeightPx = 480
	plotDPI      = 96
)

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

func addLine(p *plot.Plot, i int, name string, pts plotter.XYs, dashed bool) error {
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := palette[i%len(palette)]
	l.Color, s.Color, s.Shape = c, c, draw.CircleGlyph{}
	s.Radius = vg.Points(2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// savePNG renders p to path (PlotWidthPx × PlotHeightPx).
func savePNG(p *plot.Plot, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writePNG(p, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writePNG(p *plot.Plot, w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(PlotWidthPx)*vg.Inch/plotDPI, vg.Length(PlotHeightPx)*vg.Inch/plotDPI),
		vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// PlotLatencyVsThroughput draws, for each sweep, p50 and p99 (ms, log
// scale) against achieved throughput, with the SLO as a horizontal line.
func PlotLatencyVsThroughput(path string, sweeps []*SweepResult) error {
	p := newPlot("Latency vs throughput (open-loop sweep)", "achieved throughput (ops/s)", "latency (ms, log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	for i, s := range sweeps {
		var p50, p99 plotter.XYs
		for _, st := range s.Steps {
			p50 = append(p50, plotter.XY{X: st.Throughput, Y: msAtLeast(st.Latency.P50Us)})
			p99 = append(p99, plotter.XY{X: st.Throughput, Y: msAtLeast(st.Latency.P99Us)})
		}
		if len(p99) == 0 {
			continue
		}
		if err := addLine(p, i, s.Name+" p99", p99, false); err != nil {
			return err
		}
		if err := addLine(p, i, s.Name+" p50", p50, true); err != nil {
			return err
		}
	}
	if len(sweeps) > 0 {
		slo := float64(sweeps[0].SLOP99Us) / 1000
		fn := plotter.NewFunction(func(float64) float64 { return slo })
		fn.Dashes, fn.Color = []vg.Length{vg.Points(1), vg.Points(3)}, color.Gray{Y: 0x60}
		p.Add(fn)
		p.Legend.Add(fmt.Sprintf("SLO p99 %.3g ms", slo), fn)
	}
	return savePNG(p, path)
}

func msAtLeast(us int64) float64 { return math.Max(float64(us), 1) / 1000 }

// OverTime metrics for PlotOverTime.
const (
	MetricThroughput = "throughput"
	MetricP99        = "p99"
	MetricHitRatio   = "hit_ratio"
)

// PlotOverTime draws one per-second metric of each result over time, with
// scenario events as vertical lines (dashed: when the ring agreed again).
// The throughput plot also draws failed requests per second (dashed) for a
// result that had any. The y axis leaves room above the data for the
// legend.
func PlotOverTime(path, metric string, results []*Result) error {
	title, ylabel, get, err := overTimeMetric(metric)
	if err != nil {
		return err
	}
	p := newPlot(title, "time since start of measurement (s)", ylabel)
	top, entries := 0.0, 0
	for i, r := range results {
		pts := make(plotter.XYs, len(r.Intervals))
		errPts, errs := make(plotter.XYs, len(r.Intervals)), int64(0)
		for j, iv := range r.Intervals {
			pts[j] = plotter.XY{X: iv.T, Y: get(iv)}
			errPts[j], errs = plotter.XY{X: iv.T, Y: float64(iv.Errors) / intervalDuration.Seconds()}, errs+iv.Errors
			top = math.Max(top, pts[j].Y)
			if metric == MetricThroughput {
				top = math.Max(top, errPts[j].Y)
			}
		}
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, i, r.Name, pts, false); err != nil {
			return err
		}
		entries++
		if metric == MetricThroughput && errs > 0 {
			if err := addLine(p, i, r.Name+" errors/s", errPts, true); err != nil {
				return err
			}
			entries++
		}
		entries += 2 * len(r.Events)
		addEvents(p, r.Events)
	}
	p.Y.Min = 0
	if metric == MetricHitRatio {
		top = 100
		p.Y.Tick.Marker = capTicks{max: 100}
	}
	p.Y.Max = top * (1 + 0.07*float64(entries))
	return savePNG(p, path)
}

// capTicks are the default ticks up to max (the room above is the legend's).
type capTicks struct{ max float64 }

func (c capTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Value <= c.max+1e-9 {
			out = append(out, t)
		}
	}
	return out
}

func overTimeMetric(metric string) (title, ylabel string, get func(Interval) float64, err error) {
	switch metric {
	case MetricThroughput:
		return "Throughput over time (per second)", "successful ops/s (dashed: errors/s)", func(iv Interval) float64 { return iv.Throughput }, nil
	case MetricP99:
		return "p99 latency over time (per second)", "p99 latency (ms)", func(iv Interval) float64 { return float64(iv.P99Us) / 1000 }, nil
	case MetricHitRatio:
		return "Hit ratio over time (per second)", "GET hit ratio (%)", func(iv Interval) float64 { return 100 * iv.HitRatio }, nil
	}
	return "", "", nil, fmt.Errorf("bench: unknown over-time metric %q", metric)
}

func addEvents(p *plot.Plot, events []Event) {
	for _, e := range events {
		l, err := plotter.NewLine(plotter.XYs{{X: e.T, Y: 0}, {X: e.T, Y: 0}})
		if err != nil {
			continue
		}
		p.Add(eventLine{Line: l, t: e.T})
		p.Legend.Add(fmt.Sprintf("t=%.1fs %s", e.T, e.What), l)
		if e.DoneT <= e.T {
			continue
		}
		d, err := plotter.NewLine(plotter.XYs{{X: e.DoneT, Y: 0}, {X: e.DoneT, Y: 0}})
		if err != nil {
			continue
		}
		d.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(eventLine{Line: d, t: e.DoneT})
		p.Legend.Add(fmt.Sprintf("t=%.1fs done (ring agreed)", e.DoneT), d)
	}
}

// eventLine is a vertical line across the whole data area at x = t.
type eventLine struct {
	*plotter.Line
	t float64
}

func (e eventLine) Plot(c draw.Canvas, p *plot.Plot) {
	x := p.X.Norm(e.t)
	xc := c.Min.X + vg.Length(x)*(c.Max.X-c.Min.X)
	c.StrokeLine2(e.LineStyle, xc, c.Min.Y, xc, c.Max.Y)
}

// PlotPercentiles draws each result's latency distribution: latency (µs,
// log scale) against percentile on a "number of nines" axis, as
// HdrHistogram's plotter does.
func PlotPercentiles(path string, results []*Result) error {
	p := newPlot("Latency by percentile", "percentile", "latency (µs, log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.X.Tick.Marker = ninesTicks{}
	for i, r := range results {
		var pts plotter.XYs
		for _, pp := range r.Percentiles {
			if pp.Percentile < 100 {
				pts = append(pts, plotter.XY{X: nines(pp.Percentile), Y: math.Max(float64(pp.ValueUs), 1)})
			}
		}
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, i, r.Name, pts, false); err != nil {
			return err
		}
	}
	p.X.Max += 0.3 // room for the last tick label
	return savePNG(p, path)
}

// nines maps percentile p to -log10(1 - p/100): 90 → 1, 99 → 2, 99.9 → 3.
func nines(p float64) float64 { return -math.Log10(1 - p/100) }

type ninesTicks struct{}

func (ninesTicks) Ticks(min, max float64) []plot.Tick {
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	var out []plot.Tick
	for i, l := range labels {
		if v := float64(i); v >= min-1e-9 && v <= max+1e-9 {
			out = append(out, plot.Tick{Value: v, Label: l})
		}
	}
	return out
}
