package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringcache/ringcache/ring"
)

func TestExpiryFakeClock(t *testing.T) {
	s, clk := newTest(t)
	for i := 0; i < 1000; i++ {
		mustSet(t, s, fmt.Sprint("t", i), "v", SetOptions{TTL: time.Duration(i%10+1) * time.Second})
		mustSet(t, s, fmt.Sprint("p", i), "v", SetOptions{})
	}
	if s.Len() != 2000 || s.Expires() != 1000 {
		t.Fatal(s.Len(), s.Expires())
	}
	clk.Advance(5 * time.Second) // keys with TTL 1..5s are due
	if _, ok := s.Get(nil, b("t0")); ok {
		t.Fatal("an expired key was returned")
	}
	if s.Len() != 1500 || s.Expires() != 500 {
		t.Fatal("expired keys counted:", s.Len(), s.Expires())
	}
	if s.CountKeysInSlot(keySlot("t9")) != countSlot(s, keySlot("t9")) {
		t.Fatal("CountKeysInSlot")
	}
	clk.Advance(time.Second)
	keys, _ := s.Scan(0, b("t*"), 100000, nil)
	if len(keys) != 400 {
		t.Fatalf("scan returned %d live t* keys, want 400", len(keys))
	}
	if n := s.ExpireCycle(); n != 100 {
		t.Fatalf("ExpireCycle deleted %d, want 100", n)
	}
	clk.Advance(time.Hour)
	if s.ExpireCycle() != 400 || s.Len() != 1000 || s.Expires() != 0 {
		t.Fatal("after all TTLs:", s.Len(), s.Expires())
	}
	if st := s.Stats(); st.ExpiredKeys != 1000 {
		t.Fatalf("expired_keys %d", st.ExpiredKeys)
	}
}

func TestExpireCycleBounded(t *testing.T) {
	s, clk := newTest(t, func(c *Config) { c.Shards = 1 })
	for i := 0; i < 2500; i++ {
		mustSet(t, s, fmt.Sprint("k", i), "v", SetOptions{TTL: time.Second})
	}
	clk.Advance(2 * time.Second)
	if n := s.ExpireCycle(); n != expireCycleLimit {
		t.Fatalf("first cycle %d", n)
	}
	if _, ok := s.Get(nil, b("k2499")); ok {
		t.Fatal("due key served before the cycle reached it")
	}
	if s.Len() != 0 {
		t.Fatal("Len counts due keys")
	}
}

// TestExpiryRealClock checks the active-expiry goroutine with the real
// clock, polling with a deadline.
func TestExpiryRealClock(t *testing.T) {
	s, err := New(Config{ActiveExpiry: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 100; i++ {
		mustSet(t, s, fmt.Sprint("k", i), "v", SetOptions{TTL: 20 * time.Millisecond})
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().ExpiredKeys < 100 { // Stats does not purge: only the cycle counts here
		if time.Now().After(deadline) {
			t.Fatalf("active expiry deleted %d of 100", s.Stats().ExpiredKeys)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

func TestTTLChangesKeepHeapSmall(t *testing.T) {
	s, clk := newTest(t, func(c *Config) { c.Shards = 1 })
	for i := 0; i < 10000; i++ {
		s.Set(nil, b("k"), b("v"), SetOptions{TTL: time.Duration(i+1) * time.Second})
		s.Expire(b("k"), time.Duration(i+2)*time.Second, ExpireAlways)
	}
	if n := len(s.shards[0].exp); n > 16 {
		t.Fatalf("heap holds %d entries for one key", n)
	}
	clk.Advance(10003 * time.Second)
	if s.Exists(b("k")) || s.Len() != 0 {
		t.Fatal("not expired")
	}
}

func keySlot(k string) int { return ring.KeySlot(k) }

func countSlot(s *Store, slot int) int {
	n := 0
	var cur uint64
	for {
		var keys [][]byte
		keys, cur = s.SlotKeys(slot, cur, 3, nil)
		n += len(keys)
		if cur == 0 {
			return n
		}
	}
}
