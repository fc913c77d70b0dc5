package cacheserver

import (
	"testing"
	"time"
)

func TestDurationBuckets(t *testing.T) {
	for ns, want := range map[int64]int{0: 0, 1024: 0, 1025: 1, 2048: 1, 2049: 2, 1024 << 15: 15,
		1<<25 + 1: durationBuckets, 1 << 40: durationBuckets} {
		if got := durationBucket(ns); got != want {
			t.Errorf("durationBucket(%d) = %d, want %d", ns, got, want)
		}
		if want < durationBuckets && float64(ns)/1e9 > bucketBound(want) {
			t.Errorf("%d ns above its bucket's bound %v", ns, bucketBound(want))
		}
	}
}

// BenchmarkCallTiming is the per-command cost the duration metric adds to
// the hot path: the sampling tick, and the timing of one call in
// durationSample.
func BenchmarkCallTiming(b *testing.B) {
	c := newTestConn(b, newTestServer(b, testConfig()))
	get := c.srv.cmds.get
	for b.Loop() {
		c.sampleTick++
		if c.sampleTick%durationSample == 0 {
			start := time.Now()
			get.stats.duration.observe(time.Since(start))
		}
	}
}
