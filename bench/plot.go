package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot size: 10.67 × 5 inches at 96 dpi, i.e. 1024 × 480 pixels; the
// legend takes a column on the right, outside the data.
const (
	PlotWidthPx  = 1024
	PlotHeightPx = 480
	plotDPI      = 96
	// legendMaxShare caps the legend column's share of the width.
	legendMaxShare = 0.42
)

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Title.Padding = vg.Points(8)
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// dashStyles are the line dashes of series 0, 1, 2 … of the same colour
// (round 1 solid, round 2 dashed, round 3 dotted …).
var dashStyles = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1.5), vg.Points(2.5)},
	{vg.Points(8), vg.Points(3), vg.Points(1.5), vg.Points(3)}}

func addLine(p *plot.Plot, i int, name string, pts plotter.XYs, dashed bool) error {
	d := 0
	if dashed {
		d = 1
	}
	return addStyledLine(p, i, d, name, pts)
}

// addStyledLine draws pts in colour ci and dash style di with a legend entry.
func addStyledLine(p *plot.Plot, ci, di int, name string, pts plotter.XYs) error {
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := palette[ci%len(palette)]
	l.Color, s.Color, s.Shape = c, c, draw.CircleGlyph{}
	s.Radius = vg.Points(2)
	l.Dashes = dashStyles[di%len(dashStyles)]
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// seriesStyles gives each result a colour by target label (first seen
// first) and a dash style by its occurrence of that label (its round).
func seriesStyles(results []*Result) (colour, dash []int) {
	seen := map[string]int{}
	colours := map[string]int{}
	for _, r := range results {
		l := r.Target.Label
		if _, ok := colours[l]; !ok {
			colours[l] = len(colours)
		}
		colour, dash = append(colour, colours[l]), append(dash, seen[l])
		seen[l]++
	}
	return colour, dash
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

// writePNG draws p with its legend in a column right of the plot, so no
// entry covers data.
func writePNG(p *plot.Plot, w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(PlotWidthPx)*vg.Inch/plotDPI, vg.Length(PlotHeightPx)*vg.Inch/plotDPI),
		vgimg.UseDPI(plotDPI))
	dc := draw.New(c)
	leg := p.Legend
	p.Legend = plot.NewLegend() // empty: the plot draws none over its data
	defer func() { p.Legend = leg }()
	r := leg.Rectangle(dc)
	if r.Max.Y-r.Min.Y <= 0 {
		p.Draw(dc)
	} else {
		pad := vg.Points(8)
		lw := min(r.Max.X-r.Min.X+2*pad, vg.Length(legendMaxShare)*(dc.Max.X-dc.Min.X))
		p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
		top := p.Title.TextStyle.Rectangle(p.Title.Text).Max.Y + p.Title.Padding + pad
		leg.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw+pad, 0, 0, -top))
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// PlotLatencyVsThroughput draws, for each sweep, p50 and p99 (ms, log
// scale) against achieved throughput, with the SLO as a horizontal line.
func PlotLatencyVsThroughput(path string, sweeps []*SweepResult) error {
	p := newPlot("Latency vs throughput (open-loop sweep; ×: generator-bound step)", "achieved throughput (ops/s, log scale)", "latency (ms, log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	var bound plotter.XYs
	for i, s := range sweeps {
		var p50, p99 plotter.XYs
		for _, st := range s.Steps {
			x := math.Max(st.Throughput, 1)
			p50 = append(p50, plotter.XY{X: x, Y: msAtLeast(st.Latency.P50Us)})
			p99 = append(p99, plotter.XY{X: x, Y: msAtLeast(st.Latency.P99Us)})
			if GeneratorVerdict(st, time.Duration(s.SLOP99Us)*time.Microsecond) != "" {
				bound = append(bound, p99[len(p99)-1])
			}
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
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, slo), math.Max(p.Y.Max, slo)
	}
	if len(bound) > 0 {
		sc, err := plotter.NewScatter(bound)
		if err != nil {
			return err
		}
		sc.Shape, sc.Radius, sc.Color = draw.CrossGlyph{}, vg.Points(5), color.Black
		p.Add(sc)
		p.Legend.Add("generator-bound step", sc)
	}
	niceLogRange(&p.X)
	niceLogRange(&p.Y)
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
	return plotOverTime(path, metric, "", results)
}

// plotOverTime is PlotOverTime with a suffix to the title.
func plotOverTime(path, metric, titleSuffix string, results []*Result) error {
	title, ylabel, get, err := overTimeMetric(metric)
	if err != nil {
		return err
	}
	p := newPlot(title+titleSuffix, "time since start of measurement (s)", ylabel)
	top, bottom := 0.0, math.Inf(1)
	colour, dash := seriesStyles(results)
	for i, r := range results {
		pts := make(plotter.XYs, len(r.Intervals))
		errPts, errs := make(plotter.XYs, len(r.Intervals)), int64(0)
		for j, iv := range r.Intervals {
			pts[j] = plotter.XY{X: iv.T, Y: get(iv)}
			errPts[j], errs = plotter.XY{X: iv.T, Y: float64(iv.Errors) / intervalDuration.Seconds()}, errs+iv.Errors
			top, bottom = math.Max(top, pts[j].Y), math.Min(bottom, pts[j].Y)
			if metric == MetricThroughput {
				top = math.Max(top, errPts[j].Y)
			}
		}
		if len(pts) == 0 {
			continue
		}
		if err := addStyledLine(p, colour[i], dash[i], r.Name, pts); err != nil {
			return err
		}
		if metric == MetricThroughput && errs > 0 {
			if err := addStyledLine(p, colour[i], len(dashStyles)-1, r.Name+" errors/s", errPts); err != nil {
				return err
			}
		}
		addEvents(p, r.Events)
	}
	p.Y.Min, p.Y.Max = 0, math.Max(top*1.05, 1e-9)
	if metric == MetricHitRatio && !math.IsInf(bottom, 1) {
		// Zoomed to the data, so ratios that differ by a point are apart.
		p.Y.Min, p.Y.Max = math.Max(0, math.Floor(bottom-1)), math.Min(100, math.Ceil(top+1))
	}
	return savePNG(p, path)
}

func overTimeMetric(metric string) (title, ylabel string, get func(Interval) float64, err error) {
	switch metric {
	case MetricThroughput:
		return "Throughput over time (per second)", "successful ops/s (and errors/s, if any)", func(iv Interval) float64 { return iv.Throughput }, nil
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
	return plotPercentiles(path, "", results)
}

// plotPercentiles is PlotPercentiles with a suffix to the title.
func plotPercentiles(path, titleSuffix string, results []*Result) error {
	p := newPlot("Latency by percentile"+titleSuffix, "percentile", "latency (µs, log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	p.X.Tick.Marker = ninesTicks{}
	colour, dash := seriesStyles(results)
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
		if err := addStyledLine(p, colour[i], dash[i], r.Name, pts); err != nil {
			return err
		}
	}
	p.X.Max += 0.3 // room for the last tick label
	niceLogRange(&p.Y)
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
