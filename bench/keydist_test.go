package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestZipfianMatchesTheta draws from YCSB's generator with a fixed seed and
// compares the frequencies of the most popular ranks with
// p(k) = (1/k^θ) / zeta(n, θ). Ranks 1 and 2 are exact in Gray's method;
// from rank 3 on it is a continuous approximation that over-weights rank 3
// by up to ~17% at θ=0.99 (YCSB has the same bias), so those ranks get a
// wider tolerance, and the mass of ranks 11..100 and the log-log slope are
// checked as well.
func TestZipfianMatchesTheta(t *testing.T) {
	t.Parallel()
	for _, theta := range []float64{0.5, 0.8, 0.99} {
		const n, draws = 1000, 1_000_000
		z, err := NewZipfian(n, theta)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(42, 7))
		counts := make([]int, n)
		for range draws {
			counts[z.Next(r, n)]++
		}
		zeta := Zeta(n, theta)
		for k := 1; k <= 10; k++ {
			want := 1 / math.Pow(float64(k), theta) / zeta
			got := float64(counts[k-1]) / draws
			tol := 0.02
			if k > 2 {
				tol = 0.20
			}
			if math.Abs(got-want)/want > tol {
				t.Errorf("θ=%v rank %d: frequency %.5f, want %.5f ±%.0f%%", theta, k, got, want, tol*100)
			}
		}
		var got, want float64
		for k := 11; k <= 100; k++ {
			got += float64(counts[k-1]) / draws
			want += 1 / math.Pow(float64(k), theta) / zeta
		}
		if math.Abs(got-want)/want > 0.05 {
			t.Errorf("θ=%v ranks 11..100: mass %.4f, want %.4f ±5%%", theta, got, want)
		}
		t.Logf("θ=%v: fitted slope %.3f", theta, fitTheta(counts[:100]))
		if est := fitTheta(counts[:100]); math.Abs(est-theta) > 0.05 {
			t.Errorf("θ=%v: log-log slope of the top 100 ranks gives θ=%.3f", theta, est)
		}
	}
}

// fitTheta is the least-squares slope of log(count) against log(rank).
func fitTheta(counts []int) float64 {
	var sx, sy, sxx, sxy, m float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		x, y := math.Log(float64(i+1)), math.Log(float64(c))
		sx, sy, sxx, sxy, m = sx+x, sy+y, sxx+x*x, sxy+x*y, m+1
	}
	return -(m*sxy - sx*sy) / (m*sxx - sx*sx)
}

func TestZipfianRejectsBadTheta(t *testing.T) {
	for _, theta := range []float64{0, 1, 1.5, -1, math.NaN()} {
		if _, err := NewZipfian(10, theta); err == nil {
			t.Errorf("θ=%v accepted", theta)
		}
	}
	if _, err := NewZipfian(0, 0.99); err == nil {
		t.Error("0 items accepted")
	}
}

func TestKeyDistsStayInRange(t *testing.T) {
	z, _ := NewZipfian(500, 0.99)
	dists := map[string]KeyDist{"uniform": Uniform{}, "zipfian": z, "scrambled": ScrambledZipfian{Z: z},
		"hotspot": Hotspot{HotSet: 0.2, HotOps: 0.8}, "latest": Latest{Z: z}}
	r := rand.New(rand.NewPCG(1, 2))
	for name, d := range dists {
		for range 20000 {
			if k := d.Next(r, 500); k < 0 || k >= 500 {
				t.Fatalf("%s: %d out of [0,500)", name, k)
			}
		}
	}
}

func TestHotspotShare(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	h := Hotspot{HotSet: 0.2, HotOps: 0.8}
	hot := 0
	for range 100000 {
		if h.Next(r, 1000) < 200 {
			hot++
		}
	}
	if f := float64(hot) / 100000; math.Abs(f-0.8) > 0.01 {
		t.Errorf("hot fraction %.3f, want 0.8", f)
	}
}

func TestLatestFavoursNewest(t *testing.T) {
	z, _ := NewZipfian(1000, 0.99)
	r := rand.New(rand.NewPCG(5, 6))
	newest := 0
	for range 10000 {
		if (Latest{Z: z}).Next(r, 2000) == 1999 {
			newest++
		}
	}
	if want := 10000 / Zeta(1000, 0.99); math.Abs(float64(newest)-want) > want*0.15 {
		t.Errorf("newest record drawn %d times, want about %.0f", newest, want)
	}
}

func TestWorkloadMix(t *testing.T) {
	cfg, _ := YCSB("a")
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := w.Generator(0)
	var counts [numOpTypes]int
	var op Op
	for range 10000 {
		g.Next(&op)
		counts[op.Type]++
		if op.Type == OpUpdate && len(op.Value) != 100 {
			t.Fatalf("update value %d bytes", len(op.Value))
		}
	}
	if r := float64(counts[OpRead]) / 10000; math.Abs(r-0.5) > 0.03 {
		t.Errorf("read fraction %.3f, want 0.5", r)
	}
	for _, i := range []int64{0, 42, 999999999999, 1e12, -1} {
		if got, want := KeyName(i), fmt.Sprintf("key:%012d", i); got != want {
			t.Errorf("KeyName(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestWorkloadValidate(t *testing.T) {
	bad := []WorkloadConfig{
		{Mix: Mix{Read: -1, Update: 2}},
		{Mix: Mix{}},
		{Mix: Mix{Read: 1}, KeyDist: "pareto"},
		{Mix: Mix{Read: 1}, ValueDist: "normal"},
		{Mix: Mix{Read: 1}, ValueMin: 10, ValueMax: 5},
		{Mix: Mix{Read: 1}, Theta: 1.2},
	}
	for i, c := range bad {
		if _, err := NewWorkload(c); err == nil {
			t.Errorf("config %d accepted: %+v", i, c)
		}
	}
	if _, err := YCSB("e"); err == nil {
		t.Error("YCSB e accepted")
	}
}

func TestValueSizes(t *testing.T) {
	for _, dist := range []string{"uniform", "zipf"} {
		w, err := NewWorkload(WorkloadConfig{Mix: Mix{Update: 1}, ValueDist: dist, ValueMin: 10, ValueMax: 1000})
		if err != nil {
			t.Fatal(err)
		}
		g := w.Generator(0)
		var op Op
		lo, hi := 1<<30, 0
		for range 5000 {
			g.Next(&op)
			lo, hi = min(lo, len(op.Value)), max(hi, len(op.Value))
		}
		if lo < 10 || hi > 1000 || hi-lo < 200 {
			t.Errorf("%s: sizes in [%d,%d]", dist, lo, hi)
		}
	}
}
