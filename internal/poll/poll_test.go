package poll

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestUntilReturnsOnceTrue(t *testing.T) {
	var n atomic.Int32
	Until(t, time.Second, "three calls", func() bool { return n.Add(1) == 3 })
	if n.Load() != 3 {
		t.Fatalf("cond called %d times", n.Load())
	}
}

type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper()               {}
func (f *fatalRecorder) Fatalf(string, ...any) { f.failed = true; panic(f) }

func TestUntilFailsAtDeadline(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		Until(rec, 20*time.Millisecond, "never", func() bool { return false })
	}()
	if !rec.failed {
		t.Fatal("Until did not fail at its deadline")
	}
}
