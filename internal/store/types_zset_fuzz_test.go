package store

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// The sorted set part of FuzzTypes/TestTypesRandom: ZADD (with its
// flags), ZREM, ZINCRBY, ZPOPMIN/ZPOPMAX and ZREMRANGEBYSCORE against a
// map of member → score, and every read compared after each step.

func zcopy(z map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for m, s := range z {
		out[m] = s
	}
	return out
}

// zscoreOf draws a score with many ties (and ±inf now and then).
func zscoreOf(a int) float64 {
	switch a % 13 {
	case 0:
		return math.Inf(1)
	case 1:
		return math.Inf(-1)
	}
	return float64(a%5) - 1.5
}

// zsorted returns the model's entries in sorted set order.
func zsorted(z map[string]float64) []ZEntry {
	var out []ZEntry
	for m, s := range z {
		out = append(out, ZEntry{Member: b(m), Score: s})
	}
	sortZEntries(out)
	return out
}

func zsetStep(t *testing.T, s *Store, m *tmodel, op byte, k string, a int) {
	t.Helper()
	fld, kind := tfields[a%len(tfields)], m.kind(k)
	sc := zscoreOf(a / 7)
	var err error
	var popped []ZEntry
	var res ZAddResult
	o := ZAddOpts{NX: a%11 == 1, XX: a%11 == 2, GT: a%11 == 3, LT: a%11 == 4}
	switch op {
	case 15:
		res, err = s.ZAdd(b(k), o, []ZEntry{{Member: b(fld), Score: sc}})
	case 16:
		_, err = s.ZRem(b(k), [][]byte{b(fld)})
	case 17:
		o.NX, o.XX, o.Incr = false, false, true
		res, err = s.ZAdd(b(k), o, []ZEntry{{Member: b(fld), Score: sc}})
	case 18:
		if a%3 == 0 {
			_, err = s.ZRemRange(b(k), ZRangeSpec{By: ZByScore, Min: ZBound{Score: -1}, Max: ZBound{Score: 1, Excl: true}, Count: -1})
		} else {
			popped, err = s.ZPop(b(k), a%3, a%2 == 0)
		}
	}
	if (kind != "zset" && kind != "none") != errors.Is(err, ErrWrongType) {
		t.Fatalf("op %d on %s key %s: err %v", op, kind, k, err)
	}
	if errors.Is(err, ErrWrongType) {
		return
	}
	z := m.zset[k]
	if z == nil {
		z = map[string]float64{}
	}
	cur, had := z[fld]
	switch op {
	case 15, 17:
		want := sc
		if op == 17 && had {
			want += cur
		}
		skip := had && (o.NX || o.LT && want >= cur || o.GT && want <= cur) || !had && o.XX
		if math.IsNaN(want) {
			if !errors.Is(err, ErrZNaN) {
				t.Fatalf("inf - inf: %v", err)
			}
			return
		}
		if err != nil || res.Done == skip {
			t.Fatalf("ZADD %v %s %v = %+v, %v; model %v had %v", o, fld, sc, res, err, cur, had)
		}
		if !skip {
			z[fld] = want
		}
	case 16:
		delete(z, fld)
	case 18:
		if popped == nil {
			for x, v := range z {
				if v >= -1 && v < 1 {
					delete(z, x)
				}
			}
			break
		}
		all := zsorted(z)
		if a%2 == 0 {
			slices.Reverse(all)
		}
		for i, e := range popped {
			if string(e.Member) != string(all[i].Member) || e.Score != all[i].Score {
				t.Fatalf("ZPOP %d: %s %v, model %s %v", i, e.Member, e.Score, all[i].Member, all[i].Score)
			}
			delete(z, string(e.Member))
		}
	}
	if len(z) > 0 {
		m.zset[k] = z
	} else {
		delete(m.zset, k)
	}
}

// compareZSet checks ZRANGE WITHSCORES, ranks, scores and a score count.
func compareZSet(t *testing.T, s Ops, m *tmodel, k string) {
	t.Helper()
	want := zsorted(m.zset[k])
	got, err := s.ZRange(b(k), ZRangeSpec{Start: 0, Stop: -1, Count: -1})
	if err != nil || len(got) != len(want) {
		t.Fatalf("ZRANGE %s = %v, %v; model %v", k, got, err, want)
	}
	for i := range want {
		if string(got[i].Member) != string(want[i].Member) || got[i].Score != want[i].Score {
			t.Fatalf("ZRANGE %s [%d] = %s %v; model %s %v", k, i, got[i].Member, got[i].Score, want[i].Member, want[i].Score)
		}
		r, sc, ok, _ := s.ZRank(b(k), want[i].Member, true)
		if !ok || r != len(want)-1-i || sc != want[i].Score {
			t.Fatalf("ZREVRANK %s %s = %d %v %v, want %d", k, want[i].Member, r, sc, ok, len(want)-1-i)
		}
	}
	n, _ := s.ZCount(b(k), ZRangeSpec{By: ZByScore, Min: ZBound{Score: -0.5, Excl: true}, Max: ZBound{Score: math.Inf(1)}})
	w := 0
	for _, e := range want {
		if e.Score > -0.5 {
			w++
		}
	}
	rev, _ := s.ZRange(b(k), ZRangeSpec{By: ZByLex, Rev: true, Min: ZBound{Inf: -1}, Max: ZBound{Lex: b("f"), Excl: true}, Count: -1})
	if n != w || len(rev) > len(want) || !slices.IsSortedFunc(rev, func(x, y ZEntry) int { return -strings.Compare(string(x.Member), string(y.Member)) }) && allEqualScores(want) {
		t.Fatalf("ZCOUNT %s (-0.5 +inf = %d, model %d; lex rev %v", k, n, w, rev)
	}
}

func allEqualScores(es []ZEntry) bool {
	for _, e := range es {
		if e.Score != es[0].Score {
			return false
		}
	}
	return true
}
