package cacheserver

import (
	"runtime/debug"
	"sync/atomic"
)

// Returning memory to the OS after FLUSHALL/FLUSHDB. The Go runtime keeps
// freed heap pages for reuse and returns them to the OS only gradually (the
// scavenger), so after a flush of a large keyspace the RSS would stay high
// for minutes. A flush asks the server's releaser goroutine to run
// debug.FreeOSMemory (a forced GC plus returning every free page) off the
// client's path; requests made while one runs coalesce into one more run.

// memReleaser is the server's FLUSHALL memory releaser.
type memReleaser struct {
	req  chan struct{} // buffered 1: a pending request
	runs atomic.Int64  // completed FreeOSMemory calls (tests)
}

func newMemReleaser() *memReleaser { return &memReleaser{req: make(chan struct{}, 1)} }

// request asks for a release without waiting.
func (m *memReleaser) request() {
	select {
	case m.req <- struct{}{}:
	default: // one is pending already
	}
}

// loop runs releases until stop closes; the server starts it in New and
// joins it on Close/Shutdown (bgWG).
func (m *memReleaser) loop(stop <-chan struct{}, done func()) {
	defer done()
	for {
		select {
		case <-stop:
			return
		case <-m.req:
			debug.FreeOSMemory()
			m.runs.Add(1)
		}
	}
}
