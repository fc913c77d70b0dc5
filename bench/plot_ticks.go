package bench

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// logTicks labels a log axis so that there are always at least two labels
// and never two that overlap: every integer multiple over a short range,
// 1-2-5 per decade over a medium one, powers of ten (with unlabelled minor
// ticks) over a long one. niceLogRange widens the range to labelled values
// around the data.
type logTicks struct{}

// Axis spans (in decades) below which more labels per decade are used, and
// the least distance between two labels as a share of the axis.
const (
	logSpanAll  = 0.45 // 1 … 9 labelled
	logSpan125  = 2.5  // 1, 2, 5 labelled
	logLabelGap = 0.1
)

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	span := math.Log10(hi / lo)
	labelled := map[int]bool{1: true}
	switch {
	case span < logSpanAll:
		for m := 2; m <= 9; m++ {
			labelled[m] = true
		}
	case span < logSpan125:
		labelled[2], labelled[5] = true, true
	}
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		dec := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * dec
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[m] {
				t.Label = tickLabel(v)
			}
			out = append(out, t)
		}
	}
	labelEnds(out, span)
	return out
}

// labelEnds labels the first and last tick, removing the label of an
// inner neighbour too close to it.
func labelEnds(ts []plot.Tick, span float64) {
	if len(ts) < 2 {
		return
	}
	for _, end := range []int{0, len(ts) - 1} {
		ts[end].Label = tickLabel(ts[end].Value)
		for i := range ts {
			if i != end && ts[i].Label != "" && math.Abs(math.Log10(ts[i].Value/ts[end].Value)) < logLabelGap*span {
				ts[i].Label = ""
			}
		}
	}
}

// plainTicks are gonum's default linear ticks labelled by tickLabel (no
// "50000.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = tickLabel(ts[i].Value)
		}
	}
	return ts
}

// tickLabel writes v with at most three significant digits, thousands as
// k and millions as M.
func tickLabel(v float64) string {
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	switch {
	case v <= -1e4:
		return "-" + tickLabel(-v)
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// niceLogRange widens a log axis to the 1-2-5 values just around its data,
// so both ends carry a label.
func niceLogRange(a *plot.Axis) {
	if !(a.Min > 0) || !(a.Max > 0) {
		return
	}
	a.Min, a.Max = nice125(a.Min, false), nice125(a.Max, true)
	if a.Max <= a.Min {
		a.Max = nice125(a.Min*1.01, true)
	}
}

// nice125 rounds v down, or up, to 1, 2 or 5 × 10^k.
func nice125(v float64, up bool) float64 {
	dec := math.Pow(10, math.Floor(math.Log10(v)))
	m := v / dec
	steps := []float64{1, 2, 5, 10}
	if up {
		for _, s := range steps {
			if s >= m*(1-1e-9) {
				return s * dec
			}
		}
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] <= m*(1+1e-9) {
			return steps[i] * dec
		}
	}
	return dec
}
