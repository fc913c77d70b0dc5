package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// KeyDist picks a record index in [0, n) for the next operation. n is the
// current record count (it grows with inserts, which the latest
// distribution follows). Implementations are immutable after construction
// and safe for concurrent use; all randomness comes from the caller's r.
type KeyDist interface {
	Next(r *rand.Rand, n int64) int64
}

// Uniform picks every record with equal probability.
type Uniform struct{}

// Next implements KeyDist.
func (Uniform) Next(r *rand.Rand, n int64) int64 { return r.Int64N(n) }

// Zipfian is YCSB's ZipfianGenerator (Gray et al., "Quickly generating
// billion-record synthetic databases", SIGMOD 1994): item k (0-based) is
// drawn with probability (1/(k+1)^θ) / zeta(n, θ). Unlike math/rand's Zipf
// it accepts 0 < θ < 1, including YCSB's default 0.99. The constants zeta,
// eta and alpha are computed once for Items; Next ignores its n argument.
type Zipfian struct {
	Items int64
	Theta float64
	zetan float64
	eta   float64
	alpha float64
	half  float64 // 1 + 0.5^θ
}

// NewZipfian builds a Zipfian over items items with constant theta.
func NewZipfian(items int64, theta float64) (*Zipfian, error) {
	if items < 1 {
		return nil, fmt.Errorf("bench: zipfian items %d < 1", items)
	}
	if !(theta > 0 && theta < 1) {
		return nil, fmt.Errorf("bench: zipfian theta %v outside (0,1)", theta)
	}
	z := &Zipfian{Items: items, Theta: theta}
	z.zetan = Zeta(items, theta)
	zeta2 := Zeta(2, theta)
	z.alpha = 1 / (1 - theta)
	z.eta = (1 - math.Pow(2/float64(items), 1-theta)) / (1 - zeta2/z.zetan)
	z.half = 1 + math.Pow(0.5, theta)
	return z, nil
}

// Zeta returns the generalised harmonic number sum_{i=1..n} 1/i^θ.
func Zeta(n int64, theta float64) float64 {
	var sum float64
	for i := int64(1); i <= n; i++ {
		sum += 1 / math.Pow(float64(i), theta)
	}
	return sum
}

// Next implements KeyDist (rank 0 is the most popular item).
func (z *Zipfian) Next(r *rand.Rand, _ int64) int64 {
	u := r.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < z.half {
		return 1
	}
	v := int64(float64(z.Items) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(v, z.Items-1)
}

// ScrambledZipfian is YCSB's ScrambledZipfianGenerator: Zipfian popularity,
// but the popular items are spread over the key space by an FNV-1a hash of
// the rank instead of being the lowest indices (so hot keys land on
// different slots and nodes). As in YCSB, the hash is not a permutation.
type ScrambledZipfian struct{ Z *Zipfian }

// Next implements KeyDist.
func (s ScrambledZipfian) Next(r *rand.Rand, n int64) int64 {
	return Scramble(s.Z.Next(r, n), s.Z.Items)
}

// Prob returns the exact probability of rank k (0-based) under Zipf's law,
// 1/((k+1)^θ ζ(n,θ)); the generator approximates it (exactly for ranks 0
// and 1, as YCSB does).
func (z *Zipfian) Prob(k int64) float64 {
	return 1 / (math.Pow(float64(k+1), z.Theta) * z.zetan)
}

// Scramble maps a Zipf rank to an item in [0, items) as ScrambledZipfian
// does.
func Scramble(rank, items int64) int64 {
	return int64(fnv64(uint64(rank)) % uint64(items))
}

// fnv64 is YCSB's Utils.fnvhash64: FNV-1a over the 8 little-endian bytes of
// v, made non-negative as Java's Math.abs does.
func fnv64(v uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= 0x100000001b3
		v >>= 8
	}
	if int64(h) < 0 && h != 1<<63 {
		h = uint64(-int64(h))
	}
	return h
}

// Hotspot is YCSB's HotspotIntegerGenerator: a fraction HotSet of the
// records (the lowest indices) receives a fraction HotOps of the operations,
// uniformly within each part.
type Hotspot struct {
	HotSet float64 // fraction of records that are hot, in (0,1)
	HotOps float64 // fraction of operations going to them, in [0,1]
}

// Next implements KeyDist.
func (h Hotspot) Next(r *rand.Rand, n int64) int64 {
	hot := max(int64(float64(n)*h.HotSet), 1)
	if r.Float64() < h.HotOps || hot >= n {
		return r.Int64N(hot)
	}
	return hot + r.Int64N(n-hot)
}

// Latest is YCSB's SkewedLatestGenerator: recently inserted records are the
// most popular (index n-1-zipf). The Zipfian is sized for the initial record
// count; ranks beyond the current n are clamped to the oldest record.
type Latest struct{ Z *Zipfian }

// Next implements KeyDist.
func (l Latest) Next(r *rand.Rand, n int64) int64 {
	return max(n-1-l.Z.Next(r, n), 0)
}
