package cacheserver

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Command durations for /metrics (redis_command_duration_seconds): one call
// in durationSample per connection is timed (conn.call) into the command's
// histogram of atomic buckets, read at scrape time.

// durationSample: one call in this many, per connection, is timed. A
// time.Now/time.Since pair costs 20-40 ns on bare metal but 150-300 ns on
// the shared VM this was measured on (BenchmarkCallTiming), so timing every
// call would be measurable; one in 64 keeps the cost at a few ns per
// command and still gives ~150 samples/s at 10k commands/s.
const durationSample = 64

// durationBuckets is the number of finite histogram buckets: upper bounds
// of 1.024µs × 2^i, i = 0..durationBuckets-1 (1µs to about 34ms).
const durationBuckets = 16

// cmdDuration is one command's histogram of timed calls.
type cmdDuration struct {
	sumNs   atomic.Int64
	buckets [durationBuckets + 1]atomic.Int64 // non-cumulative; the last is +Inf
}

// observe records the duration of one timed call.
func (h *cmdDuration) observe(d time.Duration) {
	ns := max(int64(d), 0)
	h.sumNs.Add(ns)
	h.buckets[durationBucket(ns)].Add(1)
}

// durationBucket returns the index of the bucket holding ns nanoseconds:
// the smallest i with ns <= 1024 << i, or durationBuckets for +Inf.
func durationBucket(ns int64) int {
	if ns <= 1024 {
		return 0
	}
	return min(bits.Len64(uint64(ns-1)>>10), durationBuckets)
}

// bucketBound is the upper bound of bucket i in seconds.
func bucketBound(i int) float64 { return float64(int64(1024)<<i) / 1e9 }

// histogram returns the timed calls as a Prometheus histogram, and false
// when no call was timed.
func (h *cmdDuration) histogram(desc *prometheus.Desc, cmd string) (prometheus.Metric, bool) {
	buckets := make(map[float64]uint64, durationBuckets)
	var count uint64
	for b := range durationBuckets {
		count += uint64(h.buckets[b].Load())
		buckets[bucketBound(b)] = count
	}
	count += uint64(h.buckets[durationBuckets].Load())
	if count == 0 {
		return nil, false
	}
	return prometheus.MustNewConstHistogram(desc, count, float64(h.sumNs.Load())/1e9, buckets, cmd), true
}

// reset zeroes the histogram (CONFIG RESETSTAT).
func (h *cmdDuration) reset() {
	h.sumNs.Store(0)
	for b := range h.buckets {
		h.buckets[b].Store(0)
	}
}
