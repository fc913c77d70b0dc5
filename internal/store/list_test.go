package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// lmodel is the reference for lists: plain string slices.
type lmodel map[string][]string

var lelems = []string{"a", "b", "1", "a", "long-element-" + string(make([]byte, 40)), "z", ""}

// FuzzList runs list operations against the store (with small node limits,
// so conversions and chunk splits happen) and the model, comparing every
// key after each step, and checks an export/import round trip at the end.
func FuzzList(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 2, 1, 0, 3, 5, 0, 1, 7, 0, 2, 9, 0, 0})
	f.Add([]byte{0, 1, 5, 0, 1, 5, 0, 1, 5, 0, 1, 5, 0, 1, 5, 6, 1, 3, 8, 1, 1, 10, 1, 4, 11, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) { runList(t, data, -1) })
}

// TestListRandom runs FuzzList's property on seeded random sequences, with
// byte and count node limits.
func TestListRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		data := make([]byte, 3*(1+rng.IntN(200)))
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		size := []int{-1, 3, 1, 0}[i%4]
		t.Run(strconv.Itoa(i), func(t *testing.T) { runList(t, data, size) })
	}
}

func runList(t *testing.T, data []byte, size int) {
	s, _ := newTest(t, func(c *Config) { c.Shards = 2 })
	lim := DefaultLimits()
	lim.ListSize = size
	s.SetLimits(lim)
	var trace []string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ops: %v", trace)
		}
	})
	m := lmodel{}
	for p := 0; p+2 < len(data) && p < 900; p += 3 {
		op, k, a := data[p]%13, tkeys[int(data[p+1])%len(tkeys)], int(data[p+2])
		trace = append(trace, fmt.Sprintf("op%d %s %d", op, k, a))
		listStep(t, s, m, op, k, a)
		for _, k := range tkeys {
			compareList(t, s, m, k)
		}
	}
	for _, k := range tkeys {
		e, ok := s.ExportKey(b(k))
		if ok != (len(m[k]) > 0) {
			t.Fatalf("ExportKey(%s) ok %v", k, ok)
		}
		if ok {
			s.Del(b(k))
			if err := s.Import(e); err != nil {
				t.Fatal(err)
			}
			compareList(t, s, m, k)
		}
	}
	for _, k := range tkeys {
		s.Del(b(k))
	}
	if s.mem.objs.Load() != 0 || s.Len() != 0 {
		t.Fatalf("after deleting everything: objs %d bytes, %d keys", s.mem.objs.Load(), s.Len())
	}
}

func listStep(t *testing.T, s *Store, m lmodel, op byte, k string, a int) {
	e := lelems[a%len(lelems)]
	front := a&1 == 0
	idx := int64(a%11) - 5
	cur := m[k]
	switch op {
	case 0, 1, 2: // pushes (the most common op, so lists grow)
		var es [][]byte
		for i := 0; i <= a%4; i++ {
			es = append(es, b(lelems[(a+i)%len(lelems)]+strconv.Itoa(i)))
		}
		n, err := s.LPush(b(k), es, front, op == 2)
		if op == 2 && len(cur) == 0 {
			wantN(t, "LPUSHX", n, err, 0)
			return
		}
		for _, x := range es {
			if front {
				cur = append([]string{string(x)}, cur...)
			} else {
				cur = append(cur, string(x))
			}
		}
		m[k] = cur
		wantN(t, "LPUSH", n, err, len(cur))
	case 3: // pop with count
		out, left, _, err := s.LPop(b(k), front, a%3)
		c := min(a%3, len(cur))
		var want []string
		for i := 0; i < c; i++ {
			if front {
				want, cur = append(want, cur[0]), cur[1:]
			} else {
				want, cur = append(want, cur[len(cur)-1]), cur[:len(cur)-1]
			}
		}
		m[k] = cur
		if got := strs(out); err != nil || !slices.Equal(got, want) || left != len(cur) {
			t.Fatalf("LPOP = %q %d %v, want %q", got, left, err, want)
		}
	case 4:
		v, ok, err := s.LIndex(b(k), idx)
		j, in := norm(idx, len(cur))
		if err != nil || ok != in || in && string(v) != cur[j] {
			t.Fatalf("LINDEX %d = %q %v %v", idx, v, ok, err)
		}
	case 5:
		err := s.LSet(b(k), idx, b(e))
		j, in := norm(idx, len(cur))
		switch {
		case len(cur) == 0:
			in = errors.Is(err, ErrNoSuchKey)
		case in:
			cur[j] = e
			in = err == nil
		default:
			in = errors.Is(err, ErrIndexRange)
		}
		if !in {
			t.Fatalf("LSET %d: %v", idx, err)
		}
	case 6:
		pivot := lelems[(a/7)%len(lelems)]
		n, err := s.LInsert(b(k), front, b(pivot), b(e))
		want := 0
		if len(cur) > 0 {
			want = -1
			if j := slices.Index(cur, pivot); j >= 0 {
				if front {
					j++
				}
				cur = slices.Insert(cur, j, e)
				m[k], want = cur, len(cur)
			}
		}
		wantN(t, "LINSERT", n, err, want)
	case 7:
		count := int64(a%5) - 2
		n, left, err := s.LRem(b(k), count, b(e))
		removed := 0
		if count < 0 {
			slices.Reverse(cur)
		}
		cur = slices.DeleteFunc(cur, func(x string) bool {
			if x == e && (count == 0 || removed < int(max(count, -count))) {
				removed++
				return true
			}
			return false
		})
		if count < 0 {
			slices.Reverse(cur)
		}
		m[k] = cur
		wantN(t, "LREM", n, err, removed)
		wantN(t, "LREM left", left, err, len(cur))
	case 8:
		start, stop := int64(a%7)-3, int64(a/7%9)-4
		_, _, err := s.LTrim(b(k), start, stop)
		if i, j, ok := span(start, stop, len(cur)); ok {
			m[k] = cur[i : j+1]
		} else {
			m[k] = nil
		}
		wantN(t, "LTRIM", 0, err, 0)
	case 9:
		rank := int64(a%5) - 2
		if rank == 0 {
			rank = 1
		}
		count, maxlen := int64(a/5%3), int64(a/15%4)
		got, _, err := s.LPos(b(k), b(e), rank, count, maxlen)
		if want := modelPos(cur, e, rank, count, maxlen); err != nil || !slices.Equal(got, want) {
			t.Fatalf("LPOS rank %d count %d maxlen %d = %v %v, want %v", rank, count, maxlen, got, err, want)
		}
	case 10:
		dst := tkeys[(a/2)%len(tkeys)]
		v, ok, _, err := s.LMove(b(k), b(dst), front, a&4 == 0)
		if err != nil || ok != (len(cur) > 0) {
			t.Fatalf("LMOVE = %v %v", ok, err)
		}
		if ok {
			x := cur[len(cur)-1]
			if front {
				x, m[k] = cur[0], cur[1:]
			} else {
				m[k] = cur[:len(cur)-1]
			}
			if a&4 == 0 {
				m[dst] = append([]string{x}, m[dst]...)
			} else {
				m[dst] = append(slices.Clone(m[dst]), x)
			}
			if string(v) != x {
				t.Fatalf("LMOVE moved %q, want %q", v, x)
			}
		}
	case 11:
		var got []string
		start, stop := int64(a%7)-3, int64(a/7%9)-4
		err := s.LRange(b(k), start, stop, func(_ int, e []byte) { got = append(got, string(e)) })
		var want []string
		if i, j, ok := span(start, stop, len(cur)); ok {
			want = cur[i : j+1]
		}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("LRANGE %d %d = %q, want %q", start, stop, got, want)
		}
	case 12:
		dst := tkeys[(a/2)%len(tkeys)]
		if _, _, err := s.Transfer(b(k), b(dst), a&1 == 0, true); err != nil {
			t.Fatal(err)
		}
		if len(cur) > 0 && k != dst {
			m[dst] = slices.Clone(cur)
			if a&1 == 0 {
				delete(m, k)
			}
		}
	}
}

func wantN(t *testing.T, what string, n int, err error, want int) {
	t.Helper()
	if err != nil || n != want {
		t.Fatalf("%s = %d %v, want %d", what, n, err, want)
	}
}

func strs(bs [][]byte) []string {
	var out []string
	for _, x := range bs {
		out = append(out, string(x))
	}
	return out
}

func modelPos(l []string, e string, rank, count, maxlen int64) []int64 {
	var out []int64
	skip := max(rank, -rank) - 1
	for k := 0; k < len(l) && (maxlen == 0 || int64(k) < maxlen); k++ {
		i := k
		if rank < 0 {
			i = len(l) - 1 - k
		}
		if l[i] != e {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if out = append(out, int64(i)); count != 0 && int64(len(out)) >= count {
			break
		}
	}
	return out
}

func compareList(t *testing.T, s *Store, m lmodel, k string) {
	t.Helper()
	want := m[k]
	if len(want) == 0 {
		delete(m, k)
		if typ := s.Type(b(k)); typ != "none" {
			t.Fatalf("%s: type %s, want none", k, typ)
		}
		return
	}
	var got []string
	if err := s.LRange(b(k), 0, -1, func(_ int, e []byte) { got = append(got, string(e)) }); err != nil || !slices.Equal(got, want) {
		t.Fatalf("%s = %q %v, want %q", k, got, err, want)
	}
	for i := range want { // LINDEX from both ends and LRANGE from the back
		if v, _, _ := s.LIndex(b(k), int64(i)); string(v) != want[i] {
			t.Fatalf("%s[%d] = %q, want %q", k, i, v, want[i])
		}
	}
	var rev []string
	lv := func() []string {
		sh, slot := s.lock(b(k))
		defer sh.mu.Unlock()
		l, _ := sh.loadList(slot, b(k), false)
		l.each(l.len()-1, true, func(_ int, e []byte) bool { rev = append(rev, string(e)); return true })
		if l.large != nil {
			checkDeque(t, l.large)
		}
		return rev
	}()
	slices.Reverse(lv)
	if !slices.Equal(lv, want) {
		t.Fatalf("%s backwards = %q, want %q", k, lv, want)
	}
}

// checkDeque checks a large list's counts and byte accounting.
func checkDeque(t *testing.T, o *listLarge) {
	t.Helper()
	n, bytes := 0, int64(0)
	for _, c := range o.chunks() {
		if c.n == 0 || len(c.elems(nil)) != int(c.n) {
			t.Fatalf("chunk of %d elements holds %d", c.n, len(c.elems(nil)))
		}
		n += int(c.n)
		bytes += int64(cap(c.data))
	}
	if n != o.n || bytes != o.bytes {
		t.Fatalf("deque counts %d elements %d bytes, holds %d %d", o.n, o.bytes, n, bytes)
	}
}

// TestListEncodingConversions: the conversions of Redis 7.2 (Valkey's "List
// listpack -> quicklist encoding conversion" and back): a count limit of 3,
// LSET converts as if it added an element, pops convert back once one node
// of half the limit is left, pushes never convert back.
func TestListEncodingConversions(t *testing.T) {
	s, _ := newTest(t)
	lim := DefaultLimits()
	lim.ListSize = 3
	s.SetLimits(lim)
	k := b("l")
	enc := func(want string) {
		t.Helper()
		if got := s.Encoding(k); got != want {
			t.Fatalf("encoding %q, want %q", got, want)
		}
	}
	s.LPush(k, [][]byte{b("a"), b("b"), b("c")}, false, false)
	enc("listpack")
	if err := s.LSet(k, 0, b("hello")); err != nil {
		t.Fatal(err)
	}
	enc("quicklist")
	s.LPop(k, false, 1) // 2 elements in one node: not half of 3
	enc("quicklist")
	s.LPop(k, false, 1)
	enc("listpack")
	s.Del(k)
	s.LPush(k, [][]byte{b("a"), b("b"), b("c"), b("d")}, false, false)
	enc("quicklist")
	s.LPop(k, false, 3)
	enc("listpack")
	s.LPush(k, [][]byte{b("a"), b("b"), b("c"), b("d")}, false, false)
	s.LTrim(k, 0, 0)
	enc("listpack")
	s.LPush(k, [][]byte{b("x"), b("y"), b("z")}, false, false)
	s.LPop(k, true, 3) // one node of 1 element after a pop
	enc("listpack")
	s.LPush(k, [][]byte{b("1"), b("2"), b("3")}, false, false)
	enc("quicklist")
	s.LPop(k, true, 2)
	s.LPush(k, [][]byte{b("4")}, false, false) // a push never converts back
	enc("quicklist")
	if v, _, _ := s.LIndex(k, -1); string(v) != "4" {
		t.Fatalf("last = %q", v)
	}
}
