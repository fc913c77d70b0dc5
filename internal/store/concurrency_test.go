package store

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestConcurrentMixed hammers shared keys with every operation from many
// goroutines (run under -race) and checks invariants: concurrent INCRs sum
// exactly, APPENDs of fixed-size chunks keep whole chunks, Len matches a
// full scan, and the memory accounting returns to its base after FlushAll.
func TestConcurrentMixed(t *testing.T) {
	clk := newFakeClock()
	s, err := New(Config{Shards: 4, ActiveExpiry: time.Millisecond, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := s.UsedMemory()
	const workers, rounds = 8, 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	ticker := make(chan struct{})
	go func() { // the fake clock moves on while the workers run
		defer close(ticker)
		for {
			select {
			case <-stop:
				return
			default:
				clk.Advance(50 * time.Microsecond)
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			mixedWorker(t, s, w, rounds)
		}(w)
	}
	wg.Wait()
	close(stop)
	<-ticker
	if n, _ := s.IncrBy(b("counter"), 0); n != workers*rounds {
		t.Fatalf("counter = %d, want %d", n, workers*rounds)
	}
	if l := s.StrLen(b("log")); l%4 != 0 || l != workers*rounds*4 {
		t.Fatalf("log length %d", l)
	}
	checkScanMatchesLen(t, s)
	s.FlushAll()
	if s.Len() != 0 || s.UsedMemory() > base+s.mem.index.Load()+s.mem.heap.Load() {
		t.Fatalf("after FlushAll: len %d used %d base %d", s.Len(), s.UsedMemory(), base)
	}
}

func mixedWorker(t *testing.T, s *Store, w, rounds int) {
	dst := make([]byte, 0, 256)
	for i := 0; i < rounds; i++ {
		k := b("k" + strconv.Itoa(i%37))
		if _, err := s.IncrBy(b("counter"), 1); err != nil {
			t.Error(err)
			return
		}
		if _, err := s.Append(b("log"), b(fmt.Sprintf("w%d%02d", w%10, i%100))); err != nil {
			t.Error(err)
			return
		}
		switch i % 9 {
		case 0:
			s.Set(dst[:0], k, make([]byte, i%300), SetOptions{TTL: time.Duration(i%3) * time.Millisecond})
		case 1:
			dst, _ = s.Get(dst[:0], k)
		case 2:
			s.Expire(k, time.Millisecond, ExpireCond(i%5))
		case 3:
			s.SetRange(k, int64(i%50), b("xyz"))
		case 4:
			s.Del(k)
		case 5:
			s.Scan(0, b("k*"), 10, nil)
		case 6:
			s.MSet([][]byte{k, b("v"), b("{k}a"), b("w")})
		case 7:
			s.Atomic(3, func(tx *Tx) { tx.Get(nil, k) })
			s.ExpireCycle()
		case 8:
			s.GetEx(dst[:0], k, time.Millisecond, false, true)
			s.CountKeysInSlot(i % slotCount)
		}
	}
}

// checkScanMatchesLen compares Len with the distinct keys of a full SCAN
// (the clock must stand still).
func checkScanMatchesLen(t *testing.T, s *Store) {
	t.Helper()
	seen := map[string]bool{}
	var keys [][]byte
	var cur uint64
	for {
		keys, cur = s.Scan(cur, nil, 7, keys[:0])
		for _, k := range keys {
			seen[string(k)] = true
		}
		if cur == 0 {
			break
		}
	}
	if n := s.Len(); n != len(seen) {
		t.Fatalf("Len %d, scan found %d", n, len(seen))
	}
}

// TestMSetNXAcrossSlotsIsAtomic: goroutines race MSETNX over overlapping
// key sets that span slots and shards; for every round exactly one set wins
// and all its keys hold its values (never a mix of two writers).
func TestMSetNXAcrossSlotsIsAtomic(t *testing.T) {
	s, err := New(Config{Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for round := range 200 {
		keys := []string{fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round), fmt.Sprintf("c%d", round)}
		var wg sync.WaitGroup
		wins := make([]bool, 8)
		for w := range wins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := []byte(strconv.Itoa(w))
				// Each writer uses two of the three keys, rotated, so sets overlap.
				kvs := [][]byte{[]byte(keys[w%3]), v, []byte(keys[(w+1)%3]), v}
				ok, err := s.MSetNX(kvs)
				if err != nil {
					t.Error(err)
				}
				wins[w] = ok
			}()
		}
		wg.Wait()
		winners := 0
		for w, ok := range wins {
			if !ok {
				continue
			}
			winners++
			for _, k := range []string{keys[w%3], keys[(w+1)%3]} {
				if v, _ := s.Get(nil, []byte(k)); string(v) != strconv.Itoa(w) {
					t.Fatalf("round %d: %s = %q, want winner %d's value", round, k, v, w)
				}
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d writers won overlapping MSETNX", round, winners)
		}
	}
}
