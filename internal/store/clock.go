package store

import "time"

// monoClock reads the runtime's monotonic clock.
type monoClock struct{ base time.Time }

func newMonoClock() *monoClock { return &monoClock{base: time.Now()} }

// Now returns nanoseconds since the clock was made, plus one second so that
// 0 is never a valid time.
func (c *monoClock) Now() int64 { return int64(time.Since(c.base)) + int64(time.Second) }
