package store_test

import (
	"errors"
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

const gcJob = "gc"

// gcResult is the GC cost of one phase of a run.
type gcResult struct {
	Phase       string
	Keys        int64
	Seconds     float64 // wall time of the phase
	Ops         int64   // Gets + Sets (serve phase)
	GCs         int64   // GC cycles completed
	Pauses      int64   // stop-the-world pauses
	PauseP50    float64 // seconds, bucket upper bound
	PauseP99    float64
	PauseMax    float64
	GCCPUSecs   float64 // /cpu/classes/gc/total:cpu-seconds (updated at GC ends)
	GCCPU       float64 // GC CPU / CPU available (GOMAXPROCS × wall)
	GCCPUOfUsed float64 // GC CPU / process CPU time used (getrusage)
	HeapObjects int64   // bytes, at the end of the phase
	GOMAXPROCS  int
}

// TestMeasureGC loads 10,000,000 keys with 100-byte values, then serves a
// 50/50 Get/Set load (scrambled Zipf 0.99 keys, 2 goroutines) for 20 s, then
// serves 10 s more while a third goroutine forces a full GC every second
// (the serving load alone may not trigger any GC), in a fresh process with
// GOMAXPROCS=2, and reports GC pauses and GC CPU from runtime/metrics for
// each phase.
// RINGCACHE_MEASURE_KEYS and RINGCACHE_MEASURE_SECONDS override the size and
// the serving time.
//
//	RINGCACHE_MEASURE=1 go test -count=1 -run 'TestMeasureGC$' -v -timeout 30m ./internal/store/
func TestMeasureGC(t *testing.T) {
	requireMeasure(t)
	n := envInt(t, "RINGCACHE_MEASURE_KEYS", 10_000_000)
	secs := envInt(t, "RINGCACHE_MEASURE_SECONDS", 20)
	var rs []gcResult
	runChild(t, "TestMeasureGCChild", gcJob, &rs, "GOMAXPROCS=2",
		"RINGCACHE_MEASURE_KEYS="+strconv.FormatInt(n, 10), "RINGCACHE_MEASURE_SECONDS="+strconv.FormatInt(secs, 10))
	for _, r := range rs {
		logGC(t, r)
	}
}

// TestMeasureGCChild is the fresh process of TestMeasureGC.
func TestMeasureGCChild(t *testing.T) {
	childJob(t, gcJob)
	n := uint64(envInt(t, "RINGCACHE_MEASURE_KEYS", 10_000_000))
	dur := time.Duration(envInt(t, "RINGCACHE_MEASURE_SECONDS", 20)) * time.Second
	s, err := store.New(store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s0 := takeGCSnap()
	loadParallel(t, s, n, 2)
	s1 := takeGCSnap()
	ops := serveMixed(s, newZipfParams(n, 0.99), 2, dur)
	s2 := takeGCSnap()
	opsGC := serveWithGCs(s, newZipfParams(n, 0.99), 2, dur/2)
	s3 := takeGCSnap()
	rs := []gcResult{gcDelta("load", s0, s1), gcDelta("serve", s1, s2), gcDelta("serve, GC forced every 1s", s2, s3)}
	rs[1].Ops, rs[2].Ops = ops, opsGC
	for i := range rs {
		rs[i].Keys = s.Stats().Keys
	}
	reportChild(t, rs)
}

// TestMeasureGCHarness is the always-on check: a tiny store, a short window
// with one forced GC, so the histogram delta must show a pause.
func TestMeasureGCHarness(t *testing.T) {
	const n = 5000
	s, err := store.New(store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	loadParallel(t, s, n, 2)
	before := takeGCSnap()
	ops := serveMixed(s, newZipfParams(n, 0.99), 2, 50*time.Millisecond)
	runtime.GC()
	r := gcDelta("serve+GC", before, takeGCSnap())
	r.Ops, r.Keys = ops, s.Stats().Keys
	if r.Keys != n || ops <= 0 || r.GCs < 1 || r.Pauses < 1 || r.PauseP99 <= 0 || r.GCCPU < 0 || r.GCCPU > 1 {
		t.Errorf("harness result %+v: want %d keys, ops, >= 1 GC and pause, GC CPU in [0,1]", r, n)
	}
	logGC(t, r)
}

// loadParallel sets keys [0, n) from workers goroutines.
func loadParallel(t *testing.T, s *store.Store, n uint64, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range uint64(workers) {
		from, to := n*w/uint64(workers), n*(w+1)/uint64(workers)
		wg.Go(func() { errs[w] = loadStore(s, "key:", from, to-from, store.SetOptions{}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// serveMixed runs workers goroutines doing 50/50 Get/Set of 100-byte values
// on scrambled Zipf keys for dur, and returns the number of operations.
func serveMixed(s *store.Store, p zipfParams, workers int, dur time.Duration) int64 {
	var ops atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	for w := range workers {
		g := newZipfGen(p, uint64(w)+1, true)
		wg.Go(func() { ops.Add(serveWorker(s, g, deadline)) })
	}
	wg.Wait()
	return ops.Load()
}

// serveWithGCs is serveMixed with runtime.GC() forced every second, so
// that GC pauses under load are observed.
func serveWithGCs(s *store.Store, p zipfParams, workers int, dur time.Duration) int64 {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.GC()
			}
		}
	})
	ops := serveMixed(s, p, workers, dur)
	close(done)
	wg.Wait()
	return ops
}

func serveWorker(s *store.Store, g *zipfGen, deadline time.Time) int64 {
	key, val, dst := make([]byte, 0, 32), make([]byte, 100), make([]byte, 0, 128)
	var n int64
	for ; n&1023 != 0 || time.Now().Before(deadline); n++ {
		i := g.next()
		key = appendKey(key[:0], "key:", i)
		if g.rng.Uint64()&1 == 0 {
			dst, _ = s.Get(dst[:0], key)
			continue
		}
		fillValue(val, i+uint64(n))
		s.Set(nil, key, val, store.SetOptions{})
	}
	return n
}

// gcSnap is a point-in-time reading of the GC metrics, wall clock and
// process CPU time.
type gcSnap struct {
	m    []metrics.Sample
	wall time.Time
	cpu  time.Duration
}

func takeGCSnap() gcSnap {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m := readMetrics("/sched/pauses/total/gc:seconds", "/cpu/classes/gc/total:cpu-seconds",
		"/gc/cycles/total:gc-cycles", "/memory/classes/heap/objects:bytes")
	return gcSnap{m: m, wall: time.Now(), cpu: cpu}
}

// gcDelta computes the GC figures of the phase between two snapshots.
func gcDelta(phase string, a, b gcSnap) gcResult {
	ha, hb := a.m[0].Value.Float64Histogram(), b.m[0].Value.Float64Histogram()
	counts := make([]uint64, len(hb.Counts))
	for i := range counts {
		counts[i] = hb.Counts[i] - ha.Counts[i]
	}
	wall := b.wall.Sub(a.wall).Seconds()
	r := gcResult{Phase: phase, Seconds: wall, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	r.GCCPUSecs = b.m[1].Value.Float64() - a.m[1].Value.Float64()
	r.GCCPU = r.GCCPUSecs / (wall * float64(r.GOMAXPROCS))
	r.GCCPUOfUsed = r.GCCPUSecs / max((b.cpu-a.cpu).Seconds(), 1e-9)
	r.GCs = int64(b.m[2].Value.Uint64() - a.m[2].Value.Uint64())
	r.HeapObjects = int64(b.m[3].Value.Uint64())
	for _, c := range counts {
		r.Pauses += int64(c)
	}
	r.PauseP50 = histQuantile(counts, hb.Buckets, 0.50)
	r.PauseP99 = histQuantile(counts, hb.Buckets, 0.99)
	r.PauseMax = histQuantile(counts, hb.Buckets, 1)
	return r
}

// histQuantile returns the upper bound of the bucket holding quantile q
// (the lower bound when that is +Inf), or 0 for an empty histogram.
func histQuantile(counts []uint64, buckets []float64, q float64) float64 {
	var total, cum uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	need := max(uint64(math.Ceil(q*float64(total))), 1)
	for i, c := range counts {
		if cum += c; cum >= need {
			if math.IsInf(buckets[i+1], 1) {
				return buckets[i]
			}
			return buckets[i+1]
		}
	}
	return buckets[len(buckets)-1]
}

func logGC(t *testing.T, r gcResult) {
	t.Helper()
	t.Logf("[%s] keys %d, GOMAXPROCS %d, %.1fs, ops %d (%.0f ops/s), heap objects %.1f MB",
		r.Phase, r.Keys, r.GOMAXPROCS, r.Seconds, r.Ops, float64(r.Ops)/max(r.Seconds, 1e-9), float64(r.HeapObjects)/1e6)
	t.Logf("[%s] GC cycles %d, STW pauses %d, pause p50 <= %s, p99 <= %s, max <= %s",
		r.Phase, r.GCs, r.Pauses, fmtSec(r.PauseP50), fmtSec(r.PauseP99), fmtSec(r.PauseMax))
	t.Logf("[%s] GC CPU %.3fs: %.2f%% of available CPU (GOMAXPROCS × wall), %.2f%% of process CPU used",
		r.Phase, r.GCCPUSecs, 100*r.GCCPU, 100*r.GCCPUOfUsed)
}

func fmtSec(s float64) string { return time.Duration(s * float64(time.Second)).String() }
