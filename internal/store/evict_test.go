package store

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestEvictionFlood writes 3× maxmemory of 100-byte values under every
// evicting policy and checks used memory stays within maxmemory plus the
// documented slack (one standard chunk per shard, for the chunk a write
// opens after the check), and that the Go heap stays near the budget.
func TestEvictionFlood(t *testing.T) {
	const budget = 2 << 20
	for _, p := range []Policy{AllKeysLRU, AllKeysLFU, AllKeysRandom, VolatileLRU, VolatileLFU, VolatileTTL, VolatileRandom} {
		t.Run(p.String(), func(t *testing.T) {
			s, _ := newTest(t, func(c *Config) { c.MaxMemory, c.Policy, c.Shards = budget, p, 8 })
			slack := int64(len(s.shards) * s.chunkSize())
			val := make([]byte, 100)
			var worst int64
			for i := 0; int64(i)*150 < 3*budget; i++ {
				_, _, _, err := s.Set(nil, fmt.Appendf(nil, "key:%012d", i), val, SetOptions{TTL: time.Hour})
				if err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
				worst = max(worst, s.UsedMemory())
			}
			if worst > budget+slack {
				t.Fatalf("used memory reached %d, budget %d + slack %d", worst, int64(budget), slack)
			}
			st := s.Stats()
			if st.EvictedKeys == 0 || st.Keys < budget/400 {
				t.Fatalf("%+v", st)
			}
			t.Logf("%s: keys %d evicted %d used %d (max seen %d) arena %d live %d", p, st.Keys, st.EvictedKeys, st.UsedMemory, worst, st.ArenaBytes, st.LiveBytes)
			checkHeap(t, budget+slack)
		})
	}
}

// checkHeap fails if the live Go heap exceeds limit by more than 25% plus
// 4 MiB for the test binary itself.
func checkHeap(t *testing.T, limit int64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if int64(ms.HeapAlloc) > limit*5/4+4<<20 {
		t.Fatalf("heap %d B for a budget of %d", ms.HeapAlloc, limit)
	}
}

func TestNoEvictionOOM(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.MaxMemory, c.Policy = 1<<20, NoEviction })
	var err error
	for i := 0; err == nil && i < 100000; i++ {
		_, _, _, err = s.Set(nil, fmt.Appendf(nil, "k%d", i), make([]byte, 100), SetOptions{})
	}
	if !errors.Is(err, ErrOOM) {
		t.Fatal("no OOM:", err)
	}
	n := s.Len()
	if !s.Del(b("k1")) || s.Len() != n-1 {
		t.Fatal("deletes must work when full")
	}
	if _, ok := s.Get(nil, b("k2")); !ok {
		t.Fatal("reads must work when full")
	}
}

func TestVolatileWithoutTTLKeysOOM(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.MaxMemory, c.Policy = 1<<20, VolatileLRU })
	var err error
	for i := 0; err == nil && i < 100000; i++ {
		_, _, _, err = s.Set(nil, fmt.Appendf(nil, "k%d", i), make([]byte, 100), SetOptions{})
	}
	if !errors.Is(err, ErrOOM) || s.Stats().EvictedKeys != 0 {
		t.Fatal("volatile policy evicted a key without TTL:", err)
	}
}

// TestLRUKeepsHotKeys reads a hot set between writes of cold keys: under
// allkeys-lru almost every hot key must survive.
func TestLRUKeepsHotKeys(t *testing.T) {
	for _, p := range []Policy{AllKeysLRU, AllKeysLFU} {
		s, clk := newTest(t, func(c *Config) { c.MaxMemory, c.Policy = 1<<20, p })
		val := make([]byte, 100)
		for i := 0; i < 300; i++ {
			s.Set(nil, fmt.Appendf(nil, "hot%d", i), val, SetOptions{})
		}
		for i := 0; i < 20000; i++ {
			clk.Advance(time.Millisecond)
			s.Set(nil, fmt.Appendf(nil, "cold%d", i), val, SetOptions{})
			s.Get(nil, fmt.Appendf(nil, "hot%d", i%300))
		}
		alive := 0
		for i := 0; i < 300; i++ {
			if s.Exists(fmt.Appendf(nil, "hot%d", i)) {
				alive++
			}
		}
		// Sampled eviction is probabilistic; LFU also has to learn the
		// hot keys' counts (new keys start at Redis's LFU_INIT_VAL), so it
		// gets a slightly lower floor. Random eviction would keep ~1/3.
		floor := map[Policy]int{AllKeysLRU: 270, AllKeysLFU: 250}[p]
		if alive < floor {
			t.Fatalf("%s: %d of 300 hot keys survived, want >= %d", p, alive, floor)
		}
	}
}

func TestVolatileTTLEvictsSoonest(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.MaxMemory, c.Policy, c.Shards = 1<<20, VolatileTTL, 1 })
	val := make([]byte, 100)
	for i := 0; i < 20000; i++ {
		s.Set(nil, fmt.Appendf(nil, "k%d", i), val, SetOptions{TTL: time.Duration(i+1) * time.Second})
	}
	if !s.Exists(b("k19999")) || s.Exists(b("k0")) {
		t.Fatal("volatile-ttl kept the wrong keys")
	}
}

func TestSetMaxMemoryShrinks(t *testing.T) {
	s, _ := newTest(t)
	for i := 0; i < 20000; i++ {
		s.Set(nil, fmt.Appendf(nil, "k%d", i), make([]byte, 100), SetOptions{})
	}
	s.SetMaxMemory(2 << 20)
	if u := s.UsedMemory(); u > 2<<20 {
		t.Fatalf("used %d after SetMaxMemory", u)
	}
	s.SetPolicy(NoEviction)
	if s.Policy() != NoEviction || s.MaxMemory() != 2<<20 {
		t.Fatal("runtime config")
	}
}

// TestOOMOnlyWhenAlreadyOver: as Redis (maxmemory is checked before a
// command, never against its size), a write that finds memory within the
// budget goes through even when it takes memory over it; the next write,
// finding memory over, is refused under noeviction.
func TestOOMOnlyWhenAlreadyOver(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.MaxMemory, c.Policy = 1<<20, NoEviction })
	if _, _, _, err := s.Set(nil, b("big"), make([]byte, 2<<20), SetOptions{}); err != nil {
		t.Fatalf("SET of 2 MiB with 1 MiB free = %v, want OK (budget not exceeded before it)", err)
	}
	if _, _, _, err := s.Set(nil, b("small"), b("v"), SetOptions{}); !errors.Is(err, ErrOOM) {
		t.Fatalf("SET with memory over the budget = %v, want ErrOOM", err)
	}
	if !s.Del(b("big")) {
		t.Fatal("DEL big")
	}
	if _, _, _, err := s.Set(nil, b("small"), b("v"), SetOptions{}); err != nil {
		t.Fatalf("SET after freeing memory = %v", err)
	}
}
