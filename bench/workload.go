package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
)

// OpType is the kind of one generated operation.
type OpType uint8

// Operation kinds. OpRMW is a read followed by a write of the same key,
// measured as one operation (YCSB workload F).
const (
	OpRead OpType = iota
	OpUpdate
	OpInsert
	OpDelete
	OpRMW
	numOpTypes
)

var opNames = [numOpTypes]string{"read", "update", "insert", "delete", "rmw"}

func (o OpType) String() string {
	if o < numOpTypes {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// Op is one request for a Target. Value is only set for writes; it is a
// slice of a buffer shared by the worker and must not be retained.
type Op struct {
	Type  OpType
	Key   string
	Value []byte
	TTL   time.Duration // 0: no expiry
}

// KeyName formats record i as redis-benchmark's -r does ("key:%012d").
func KeyName(i int64) string {
	if i < 0 || i >= 1e12 {
		return fmt.Sprintf("key:%012d", i)
	}
	b := [16]byte{'k', 'e', 'y', ':'}
	for p := 15; p >= 4; p-- {
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[:])
}

// Mix holds the relative weights of the operation kinds; they need not sum
// to 1 (they are normalised) but at least one must be positive.
type Mix struct {
	Read   float64 `json:"read"`
	Update float64 `json:"update"`
	Insert float64 `json:"insert"`
	Delete float64 `json:"delete"`
	RMW    float64 `json:"rmw"`
}

func (m Mix) weights() [numOpTypes]float64 {
	return [numOpTypes]float64{m.Read, m.Update, m.Insert, m.Delete, m.RMW}
}

// WorkloadConfig describes what a run does. DefaultWorkload is YCSB B.
type WorkloadConfig struct {
	// Name labels results ("ycsb-b", "custom").
	Name string `json:"name"`
	// Records is the number of records loaded before the run (default 100000).
	Records int64 `json:"records"`
	// Mix is the operation mix (default YCSB B: 95% read, 5% update).
	Mix Mix `json:"mix"`
	// KeyDist is "uniform", "zipfian" (YCSB ZipfianGenerator, rank 0 = key 0),
	// "scrambled" (ScrambledZipfian, the YCSB default), "hotspot" or
	// "latest". Default "scrambled".
	KeyDist string `json:"key_dist"`
	// Theta is the Zipfian constant, 0 < θ < 1 (default 0.99).
	Theta float64 `json:"theta"`
	// HotSet and HotOps parameterise "hotspot" (defaults 0.2 and 0.8).
	HotSet float64 `json:"hot_set,omitempty"`
	HotOps float64 `json:"hot_ops,omitempty"`
	// ValueDist is "fixed" (ValueMin bytes), "uniform" or "zipf" (sizes
	// between ValueMin and ValueMax, small sizes more likely). Default fixed.
	ValueDist string `json:"value_dist"`
	// ValueMin and ValueMax are value sizes in bytes (default 100 and 100).
	ValueMin int `json:"value_min"`
	ValueMax int `json:"value_max"`
	// TTL is set on every write when positive (default 0: no expiry).
	TTL time.Duration `json:"ttl_ns"`
	// Seed makes key and value choices reproducible (worker w uses Seed+w).
	Seed uint64 `json:"seed"`
}

// DefaultWorkload returns YCSB B over 100000 records of 100 bytes.
func DefaultWorkload() WorkloadConfig {
	w, _ := YCSB("b")
	return w
}

// YCSB returns the core workload with the given letter (a, b, c, d, f).
// Workload E (range scans) has no counterpart in a key-value cache.
func YCSB(letter string) (WorkloadConfig, error) {
	w := WorkloadConfig{Records: 100000, KeyDist: "scrambled", Theta: 0.99,
		ValueDist: "fixed", ValueMin: 100, ValueMax: 100, Seed: 1}
	switch strings.ToLower(letter) {
	case "a":
		w.Mix = Mix{Read: 0.5, Update: 0.5}
	case "b":
		w.Mix = Mix{Read: 0.95, Update: 0.05}
	case "c":
		w.Mix = Mix{Read: 1}
	case "d":
		w.Mix, w.KeyDist = Mix{Read: 0.95, Insert: 0.05}, "latest"
	case "f":
		w.Mix = Mix{Read: 0.5, RMW: 0.5}
	default:
		return w, fmt.Errorf("bench: unknown YCSB workload %q (want a, b, c, d or f)", letter)
	}
	w.Name = "ycsb-" + strings.ToLower(letter)
	return w, nil
}

// Validate reports the first problem with the configuration.
func (w WorkloadConfig) Validate() error {
	var sum float64
	for _, x := range w.Mix.weights() {
		if x < 0 {
			return errors.New("bench: negative operation weight")
		}
		sum += x
	}
	switch {
	case sum <= 0:
		return errors.New("bench: operation mix is empty")
	case w.Records < 1:
		return fmt.Errorf("bench: records %d < 1", w.Records)
	case w.ValueMin < 0 || w.ValueMax < w.ValueMin:
		return fmt.Errorf("bench: value sizes min %d max %d", w.ValueMin, w.ValueMax)
	case w.TTL < 0:
		return errors.New("bench: negative TTL")
	}
	_, err := w.keyDist()
	return err
}

func (w WorkloadConfig) keyDist() (KeyDist, error) {
	switch w.KeyDist {
	case "uniform":
		return Uniform{}, nil
	case "hotspot":
		if !(w.HotSet > 0 && w.HotSet < 1) || w.HotOps < 0 || w.HotOps > 1 {
			return nil, fmt.Errorf("bench: hotspot set %v ops %v", w.HotSet, w.HotOps)
		}
		return Hotspot{HotSet: w.HotSet, HotOps: w.HotOps}, nil
	case "zipfian", "scrambled", "latest":
		z, err := NewZipfian(w.Records, w.Theta)
		if err != nil {
			return nil, err
		}
		switch w.KeyDist {
		case "scrambled":
			return ScrambledZipfian{Z: z}, nil
		case "latest":
			return Latest{Z: z}, nil
		}
		return z, nil
	}
	return nil, fmt.Errorf("bench: unknown key distribution %q", w.KeyDist)
}

func (w WorkloadConfig) valueDist() (func(r *rand.Rand) int, error) {
	span := w.ValueMax - w.ValueMin
	switch w.ValueDist {
	case "", "fixed":
		return func(*rand.Rand) int { return w.ValueMin }, nil
	case "uniform":
		return func(r *rand.Rand) int { return w.ValueMin + r.IntN(span+1) }, nil
	case "zipf":
		z, err := NewZipfian(int64(span)+1, 0.99)
		if err != nil {
			return nil, err
		}
		return func(r *rand.Rand) int { return w.ValueMin + int(z.Next(r, 0)) }, nil
	}
	return nil, fmt.Errorf("bench: unknown value distribution %q", w.ValueDist)
}

// Workload is a validated WorkloadConfig ready to hand out generators. It
// owns the record count, which inserts advance.
type Workload struct {
	cfg     WorkloadConfig
	keys    KeyDist
	size    func(*rand.Rand) int
	cum     [numOpTypes]float64
	records atomic.Int64
}

// NewWorkload validates cfg (applying defaults to zero fields) and builds
// the shared, immutable parts of its generators.
func NewWorkload(cfg WorkloadConfig) (*Workload, error) {
	cfg = withDefaults(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Workload{cfg: cfg}
	w.keys, _ = cfg.keyDist()
	var err error
	if w.size, err = cfg.valueDist(); err != nil {
		return nil, err
	}
	var acc, sum float64
	for _, x := range cfg.Mix.weights() {
		sum += x
	}
	for i, x := range cfg.Mix.weights() {
		acc += x / sum
		w.cum[i] = acc
	}
	w.records.Store(cfg.Records)
	return w, nil
}

func withDefaults(c WorkloadConfig) WorkloadConfig {
	d, _ := YCSB("b")
	if c.Name == "" {
		c.Name = "custom"
	}
	if c.Records == 0 {
		c.Records = d.Records
	}
	if c.KeyDist == "" {
		c.KeyDist = d.KeyDist
	}
	if c.Theta == 0 {
		c.Theta = d.Theta
	}
	if c.KeyDist == "hotspot" && c.HotSet == 0 && c.HotOps == 0 {
		c.HotSet, c.HotOps = 0.2, 0.8
	}
	if c.ValueMin == 0 && c.ValueMax == 0 {
		c.ValueMin, c.ValueMax = d.ValueMin, d.ValueMax
	}
	return c
}

// Config returns the effective configuration (defaults applied).
func (w *Workload) Config() WorkloadConfig { return w.cfg }

// Generator returns a per-worker source of operations; it is not safe for
// concurrent use, but generators of one Workload may run concurrently.
func (w *Workload) Generator(worker int) *Generator {
	seed := w.cfg.Seed + uint64(worker)
	g := &Generator{w: w, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	g.buf = make([]byte, w.cfg.ValueMax)
	for i := range g.buf {
		g.buf[i] = 'a' + byte(g.r.IntN(26))
	}
	return g
}

// Generator produces operations for one worker.
type Generator struct {
	w   *Workload
	r   *rand.Rand
	buf []byte
}

// Next fills op with the next operation.
func (g *Generator) Next(op *Op) {
	u := g.r.Float64()
	op.Type = OpRMW
	for i, c := range g.w.cum {
		if u < c {
			op.Type = OpType(i)
			break
		}
	}
	op.TTL, op.Value = 0, nil
	switch op.Type {
	case OpInsert:
		op.Key = KeyName(g.w.records.Add(1) - 1)
	default:
		op.Key = KeyName(g.w.keys.Next(g.r, g.w.records.Load()))
	}
	if op.Type != OpRead && op.Type != OpDelete {
		op.Value, op.TTL = g.buf[:g.w.size(g.r)], g.w.cfg.TTL
	}
}

// LoadValue returns the value written for record i during the load phase.
func (g *Generator) LoadValue() []byte { return g.buf[:g.w.size(g.r)] }
