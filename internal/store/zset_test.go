package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestZSetLargeAgainstModel drives one skiplist-encoded sorted set of a
// few thousand members through random adds, score changes and removes and
// checks every rank, forward and reverse ranges (reverse walks cross many
// 64-node chunks), score ranges with LIMIT and pops against a sorted model.
func TestZSetLargeAgainstModel(t *testing.T) {
	s, _ := newTest(t)
	rng := rand.New(rand.NewPCG(3, 4))
	key, model := b("z"), map[string]float64{}
	for step := 0; step < 30; step++ {
		var pairs []ZEntry
		for i := 0; i < 300; i++ {
			m := fmt.Sprintf("m%d", rng.IntN(3000))
			sc := float64(rng.IntN(50))
			pairs = append(pairs, ZEntry{Member: b(m), Score: sc})
			model[m] = sc
		}
		if _, err := s.ZAdd(key, ZAddOpts{}, pairs); err != nil {
			t.Fatal(err)
		}
		var dels [][]byte
		for i := 0; i < 100; i++ {
			m := fmt.Sprintf("m%d", rng.IntN(3000))
			dels = append(dels, b(m))
			delete(model, m)
		}
		s.ZRem(key, dels)
		checkZSetModel(t, s, key, model, rng)
	}
	if enc := s.Encoding(key); enc != "skiplist" {
		t.Fatalf("encoding %s", enc)
	}
	want := zsorted(model)
	got, _ := s.ZPop(key, 150, true)
	for i, e := range got {
		w := want[len(want)-1-i]
		if string(e.Member) != string(w.Member) || e.Score != w.Score {
			t.Fatalf("ZPOPMAX %d = %s %v, want %s %v", i, e.Member, e.Score, w.Member, w.Score)
		}
	}
}

func checkZSetModel(t *testing.T, s *Store, key []byte, model map[string]float64, rng *rand.Rand) {
	t.Helper()
	want := zsorted(model)
	all := ZRangeSpec{Start: 0, Stop: -1, Count: -1}
	fwd, _ := s.ZRange(key, all)
	all.Rev = true
	rev, _ := s.ZRange(key, all)
	slices.Reverse(rev)
	if n, _ := s.ZCard(key); n != len(want) || fmt.Sprint(fwd) != fmt.Sprint(want) || fmt.Sprint(rev) != fmt.Sprint(want) {
		t.Fatalf("ZCARD %d, ZRANGE/REV differ from the model (%d members)", n, len(want))
	}
	for i, e := range want {
		if r, sc, ok, _ := s.ZRank(key, e.Member, false); !ok || r != i || sc != e.Score {
			t.Fatalf("ZRANK %s = %d %v %v, want %d", e.Member, r, sc, ok, i)
		}
	}
	lo, hi := float64(rng.IntN(50)), float64(rng.IntN(50))
	off, cnt := int64(rng.IntN(40)), int64(rng.IntN(300))
	q := ZRangeSpec{By: ZByScore, Rev: true, Min: ZBound{Score: lo}, Max: ZBound{Score: hi, Excl: true}, Offset: off, Count: cnt}
	got, _ := s.ZRange(key, q)
	var exp []ZEntry
	for i := len(want) - 1; i >= 0; i-- {
		if want[i].Score >= lo && want[i].Score < hi {
			exp = append(exp, want[i])
		}
	}
	exp = exp[min(off, int64(len(exp))):]
	exp = exp[:min(cnt, int64(len(exp)))]
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("ZRANGE [%v (%v BYSCORE REV LIMIT %d %d: %d entries, want %d", lo, hi, off, cnt, len(got), len(exp))
	}
}
