package store

import (
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	goleak.VerifyTestMain(m)
}

// fakeClock is a manually advanced monotonic clock.
type fakeClock struct{ t atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.t.Store(int64(time.Hour))
	return c
}

func (c *fakeClock) Now() int64              { return c.t.Load() }
func (c *fakeClock) Advance(d time.Duration) { c.t.Add(int64(d)) }

// newTest returns a store with a fake clock and no expiry goroutine.
func newTest(t testing.TB, mod ...func(*Config)) (*Store, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	cfg := DefaultConfig()
	cfg.ActiveExpiry = 0
	cfg.Clock = clk
	cfg.Shards = 4
	for _, f := range mod {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

func b(s string) []byte { return []byte(s) }

func mustSet(t testing.TB, s Ops, k, v string, o SetOptions) {
	t.Helper()
	if _, _, ok, err := s.Set(nil, b(k), b(v), o); err != nil || !ok {
		t.Fatalf("Set(%q) = %v, %v", k, ok, err)
	}
}

func wantGet(t testing.TB, s Ops, k, want string, wantOK bool) {
	t.Helper()
	v, ok := s.Get(nil, b(k))
	if ok != wantOK || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v; want %q, %v", k, v, ok, want, wantOK)
	}
}
