package store

import (
	"math"
	"time"
)

// monoClock reads the runtime's monotonic clock.
type monoClock struct{ base time.Time }

func newMonoClock() *monoClock { return &monoClock{base: time.Now()} }

// Now returns nanoseconds since the clock was made, plus one second so that
// 0 is never a valid time.
func (c *monoClock) Now() int64 { return int64(time.Since(c.base)) + int64(time.Second) }

// deadlineAfter returns now+ttl on the monotonic clock, saturating instead
// of overflowing for TTLs near the int64 limit.
func deadlineAfter(now int64, ttl time.Duration) int64 {
	if ttl > 0 && now > math.MaxInt64-int64(ttl) {
		return math.MaxInt64
	}
	return now + int64(ttl)
}
