package store

import (
	"fmt"
	"testing"
	"time"
)

// removals records Config.OnRemove calls. The tests drive the store from
// one goroutine with no expiry goroutine, so the maps need no lock.
type removals struct{ expired, evicted map[string]int }

func newRemovals() *removals {
	return &removals{expired: map[string]int{}, evicted: map[string]int{}}
}

func (r *removals) hook(c *Config) {
	c.OnRemove = func(key []byte, why RemoveReason) {
		switch why {
		case RemovedExpired:
			r.expired[string(key)]++
		case RemovedEvicted:
			r.evicted[string(key)]++
		}
	}
}

// TestOnRemoveExpiry checks that lazy and active expiry report each key
// once, and that deletions the caller asks for report nothing.
func TestOnRemoveExpiry(t *testing.T) {
	r := newRemovals()
	s, clk := newTest(t, r.hook)
	mustSet(t, s, "lazy", "v", SetOptions{TTL: time.Second})
	mustSet(t, s, "active", "v", SetOptions{TTL: time.Second})
	mustSet(t, s, "deleted", "v", SetOptions{TTL: time.Hour})
	mustSet(t, s, "kept", "v", SetOptions{})
	s.Del(b("deleted"))
	clk.Advance(2 * time.Second)
	if _, ok := s.Get(nil, b("lazy")); ok {
		t.Fatal("expired key returned")
	}
	if r.expired["lazy"] != 1 || r.expired["active"] != 0 {
		t.Fatalf("after lazy expiry: %v", r.expired)
	}
	if n := s.ExpireCycle(); n != 1 {
		t.Fatalf("ExpireCycle removed %d", n)
	}
	want := map[string]int{"lazy": 1, "active": 1}
	if fmt.Sprint(r.expired) != fmt.Sprint(want) || len(r.evicted) != 0 {
		t.Fatalf("expired %v evicted %v, want %v", r.expired, r.evicted, want)
	}
	s.FlushAll()
	if fmt.Sprint(r.expired) != fmt.Sprint(want) {
		t.Fatalf("FlushAll reported removals: %v", r.expired)
	}
}

// TestOnRemoveEviction checks that every key evicted under maxmemory is
// reported, for a sampled policy and for volatile-ttl.
func TestOnRemoveEviction(t *testing.T) {
	for _, p := range []Policy{AllKeysLRU, VolatileTTL} {
		t.Run(p.String(), func(t *testing.T) {
			r := newRemovals()
			s, _ := newTest(t, r.hook, func(c *Config) { c.MaxMemory, c.Policy = 1<<20, p })
			const n = 20000
			for i := 0; i < n; i++ {
				mustSet(t, s, fmt.Sprint("k", i), "0123456789012345678901234567890123456789", SetOptions{TTL: time.Hour})
			}
			if len(r.evicted) == 0 {
				t.Fatal("nothing evicted")
			}
			for k, c := range r.evicted {
				if c != 1 || s.Exists(b(k)) {
					t.Fatalf("key %q reported %d times, exists %v", k, c, s.Exists(b(k)))
				}
			}
			if got := int(s.Stats().EvictedKeys); got != len(r.evicted) || s.Len()+got != n {
				t.Fatalf("evicted stat %d, reported %d, left %d", got, len(r.evicted), s.Len())
			}
		})
	}
}
