package client

import (
	"context"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/poll"
)

func newTestL1(t *testing.T, keepStale time.Duration) *l1 {
	t.Helper()
	l, err := newL1(L1Config{MaxBytes: 1 << 20, NumCounters: 10_000, MaxTTL: time.Hour}, keepStale, monoClock{start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.close)
	return l
}

// installed installs key with ttl and waits until ristretto holds it.
func installed(t *testing.T, l *l1, key string, negative bool, ttl time.Duration) {
	t.Helper()
	l.install(key, l.begin(key, 7), []byte("v:"+key), negative, ttl)
	l.cache.Wait()
	if _, ok := l.cache.Get(key); !ok {
		t.Fatalf("%s was not admitted", key)
	}
}

// TestSweepRemovesExpiredEntries checks the sweep that replaces ristretto's
// TTL cleanup: an entry past its freshness is deleted from ristretto (not
// just hidden), a fresh one is kept, and with stale-if-error an expired
// value is kept for its stale window while an expired negative entry is not.
func TestSweepRemovesExpiredEntries(t *testing.T) {
	for _, keepStale := range []time.Duration{0, time.Hour} {
		l := newTestL1(t, keepStale)
		installed(t, l, "short", false, 20*time.Millisecond)
		installed(t, l, "negative", true, 20*time.Millisecond)
		installed(t, l, "long", false, time.Hour)
		poll.Until(t, 2*time.Second, "short and negative expired", func() bool {
			_, short := l.get("short", l.clock.now())
			_, negative := l.get("negative", l.clock.now())
			return !short && !negative
		})
		want := map[time.Duration]int{0: 2, time.Hour: 1}[keepStale]
		if n := l.sweep(); n != want {
			t.Fatalf("keepStale %v: sweep removed %d entries, want %d", keepStale, n, want)
		}
		_, shortKept := l.cache.Get("short")
		_, negKept := l.cache.Get("negative")
		_, longKept := l.cache.Get("long")
		if shortKept != (keepStale > 0) || negKept || !longKept {
			t.Fatalf("keepStale %v: after sweep short=%v negative=%v long=%v", keepStale, shortKept, negKept, longKept)
		}
		if _, ok := l.stale("short", keepStale); ok != (keepStale > 0) {
			t.Fatalf("keepStale %v: stale-if-error fallback present=%v", keepStale, ok)
		}
	}
}

// TestClientSweepsL1 checks that a client runs the sweep: an entry that
// expired leaves ristretto without being read again.
func TestClientSweepsL1(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	c := newClient(t, tc, func(cfg *Config) { cfg.L1.MaxTTL = 100 * time.Millisecond })
	raw.Set(context.Background(), "swept", "v", 0)
	getL1(t, c, "swept")
	poll.Until(t, 5*time.Second, "expired entry swept from ristretto", func() bool {
		_, ok := c.l1.cache.Get("swept")
		return !ok
	})
}

// TestSweepInterval pins the sweep period: half the max TTL within [1s, 30s].
func TestSweepInterval(t *testing.T) {
	for maxTTL, want := range map[time.Duration]time.Duration{
		100 * time.Millisecond: time.Second, time.Minute: 30 * time.Second, 10 * time.Second: 5 * time.Second, time.Hour: 30 * time.Second,
	} {
		if got := sweepInterval(maxTTL); got != want {
			t.Errorf("sweepInterval(%v) = %v, want %v", maxTTL, got, want)
		}
	}
}
