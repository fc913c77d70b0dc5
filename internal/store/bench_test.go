package store

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
)

func benchStore(b *testing.B, n int) (*Store, [][]byte) {
	b.Helper()
	s, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	keys := make([][]byte, n)
	val := make([]byte, 100)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
		if _, _, _, err := s.Set(nil, keys[i], val, SetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

// BenchmarkGet reads 100-byte values of 1e5 keys from parallel goroutines.
func BenchmarkGet(b *testing.B) {
	s, keys := benchStore(b, 100_000)
	var seq atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := seq.Add(1) * 7919
		dst := make([]byte, 0, 128)
		for pb.Next() {
			i++
			dst, _ = s.Get(dst[:0], keys[i%uint64(len(keys))])
		}
	})
}

// BenchmarkSet overwrites 100-byte values of 1e5 keys from parallel goroutines.
func BenchmarkSet(b *testing.B) {
	s, keys := benchStore(b, 100_000)
	val := make([]byte, 100)
	var seq atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := seq.Add(1) * 7919
		for pb.Next() {
			i++
			if _, _, _, err := s.Set(nil, keys[i%uint64(len(keys))], val, SetOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBytesPerKey loads 1e6 keys "key:%012d" with 100-byte values and
// reports Go heap bytes per key (after GC) and the store's own accounting.
func BenchmarkBytesPerKey(b *testing.B) {
	for range b.N {
		const n = 1_000_000
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := New(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		val := make([]byte, 100)
		key := make([]byte, 0, 16)
		for i := range n {
			key = fmt.Appendf(key[:0], "key:%012d", i)
			s.Set(nil, key, val, SetOptions{})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/key")
		b.ReportMetric(float64(s.UsedMemory())/n, "usedB/key")
		st := s.Stats()
		b.ReportMetric(float64(st.ArenaBytes)/n, "arenaB/key")
		b.ReportMetric(float64(st.LiveBytes)/n, "liveB/key")
		b.ReportMetric(float64(after.PauseNs[(after.NumGC+255)%256])/1e3, "lastGCpause-µs")
		runtime.KeepAlive(s)
		s.Close()
		debug.FreeOSMemory()
	}
}
