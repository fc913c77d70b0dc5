package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// tmodel is the reference for hashes, sets, sorted sets and strings: plain Go maps,
// with field deadlines on the fake clock.
type tmodel struct {
	str  map[string]string
	hash map[string]map[string]hfield
	set  map[string]map[string]bool
	zset map[string]map[string]float64
	clk  *fakeClock
}

type hfield struct {
	v  string
	at int64
}

func (m *tmodel) kind(k string) string {
	m.purge(k)
	switch {
	case m.str[k] != "" || m.hasStr(k):
		return "string"
	case m.hash[k] != nil:
		return "hash"
	case m.set[k] != nil:
		return "set"
	case m.zset[k] != nil:
		return "zset"
	}
	return "none"
}

func (m *tmodel) hasStr(k string) bool { _, ok := m.str[k]; return ok }

func (m *tmodel) purge(k string) {
	h := m.hash[k]
	for f, e := range h {
		if e.at != 0 && e.at <= m.clk.Now() {
			delete(h, f)
		}
	}
	if h != nil && len(h) == 0 {
		delete(m.hash, k)
	}
}

func (m *tmodel) del(k string) {
	delete(m.str, k)
	delete(m.hash, k)
	delete(m.set, k)
	delete(m.zset, k)
}

var (
	tkeys   = []string{"{t}a", "{t}b", "{t}c"}
	tfields = []string{"1", "2", "-7", "f", "long-field-name-beyond-the-small-value-limit-of-sixteen", "x"}
)

// FuzzTypes runs hash, set, string, rename and export/import operations
// against the store (with tiny encoding limits, so conversions happen) and
// the model, comparing the touched key after every step.
func FuzzTypes(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 0, 0, 3, 3, 0, 5, 1, 0, 5, 1, 1, 5, 1, 3, 14, 0, 0})
	f.Add([]byte{5, 0, 0, 5, 0, 1, 5, 0, 2, 5, 0, 3, 5, 0, 4, 5, 0, 5, 12, 0, 1, 13, 1, 2, 14, 0, 0})
	f.Add([]byte{0, 1, 2, 3, 1, 2, 10, 0, 0, 10, 0, 0, 10, 0, 0, 11, 1, 0, 4, 0, 2, 14, 2, 2})
	f.Add([]byte{0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 2, 0, 0, 8, 0, 0, 1, 0, 3, 9, 0, 0})
	f.Fuzz(runTypes)
}

// TestTypesRandom runs FuzzTypes's property on seeded random sequences.
func TestTypesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		data := make([]byte, 3*(1+rng.IntN(150)))
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		t.Run(strconv.Itoa(i), func(t *testing.T) { runTypes(t, data) })
	}
}

func runTypes(t *testing.T, data []byte) {
	{
		s, clk := newTest(t, func(c *Config) { c.Shards = 2 })
		var trace []string
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("ops: %v", trace)
			}
		})
		s.SetLimits(Limits{HashEntries: 3, HashValue: 16, SetIntEntries: 3, SetEntries: 4, SetValue: 16, ZSetEntries: 3, ZSetValue: 16})
		m := &tmodel{str: map[string]string{}, hash: map[string]map[string]hfield{}, set: map[string]map[string]bool{},
			zset: map[string]map[string]float64{}, clk: clk}
		for p := 0; p+2 < len(data) && p < 600; p += 3 {
			op, k, a := data[p]%19, tkeys[int(data[p+1])%len(tkeys)], int(data[p+2])
			trace = append(trace, fmt.Sprintf("op%d %s %d", op, k, a))
			typesStep(t, s, m, clk, op, k, a)
			for _, k := range tkeys {
				compareKey(t, s, m, k)
			}
		}
		for _, k := range tkeys {
			s.Del(b(k))
		}
		if s.mem.objs.Load() != 0 || s.Len() != 0 {
			t.Fatalf("after deleting everything: objs %d bytes, %d keys", s.mem.objs.Load(), s.Len())
		}
	}
}

func typesStep(t *testing.T, s *Store, m *tmodel, clk *fakeClock, op byte, k string, a int) {
	fld := tfields[a%len(tfields)]
	k2 := tkeys[(a/7)%len(tkeys)]
	kind := m.kind(k)
	wrong := func(want string, err error) {
		t.Helper()
		if (kind != want && kind != "none") != errors.Is(err, ErrWrongType) {
			t.Fatalf("op %d on %s key %s: err %v", op, kind, k, err)
		}
	}
	switch op {
	case 0, 1, 2:
		var err error
		switch op {
		case 0:
			_, err = s.HSet(b(k), [][]byte{b(fld), b("v" + strconv.Itoa(a))}, false)
		case 1:
			_, err = s.HDel(b(k), [][]byte{b(fld)})
		case 2:
			_, err = s.HIncrBy(b(k), b(fld), 3)
		}
		wrong("hash", err)
		if err != nil {
			return
		}
		h := m.hash[k]
		if h == nil {
			h = map[string]hfield{}
			m.hash[k] = h
		}
		switch op {
		case 0:
			h[fld] = hfield{v: "v" + strconv.Itoa(a)}
		case 1:
			delete(h, fld)
		case 2:
			n, _ := strconv.Atoi(h[fld].v)
			h[fld] = hfield{v: strconv.Itoa(n + 3), at: h[fld].at}
		}
		if len(h) == 0 {
			delete(m.hash, k)
		}
	case 3, 4:
		ttl := time.Duration(a%3) * time.Millisecond
		var err error
		if op == 3 {
			err = s.HExpire(b(k), ttl, ExpireAlways, [][]byte{b(fld)}, func(int, int) {})
		} else {
			err = s.HPersist(b(k), [][]byte{b(fld)}, func(int, int) {})
		}
		wrong("hash", err)
		if e, ok := m.hash[k][fld]; ok && err == nil {
			switch {
			case op == 4:
				e.at = 0
				m.hash[k][fld] = e
			case ttl == 0:
				delete(m.hash[k], fld)
				if len(m.hash[k]) == 0 {
					delete(m.hash, k)
				}
			default:
				e.at = clk.Now() + int64(ttl)
				m.hash[k][fld] = e
			}
		}
	case 5, 6, 7:
		var err error
		var popped [][]byte
		switch op {
		case 5:
			_, err = s.SAdd(b(k), [][]byte{b(fld)})
		case 6:
			_, err = s.SRem(b(k), [][]byte{b(fld)})
		case 7:
			popped, err = s.SPop(b(k), 1)
		}
		wrong("set", err)
		if err != nil {
			return
		}
		st := m.set[k]
		if st == nil {
			st = map[string]bool{}
			m.set[k] = st
		}
		switch op {
		case 5:
			st[fld] = true
		case 6:
			delete(st, fld)
		case 7:
			for _, p := range popped {
				if !st[string(p)] {
					t.Fatalf("SPOP returned %q, not a member", p)
				}
				delete(st, string(p))
			}
		}
		if len(st) == 0 {
			delete(m.set, k)
		}
	case 8:
		mustSet(t, s, k, "s"+strconv.Itoa(a), SetOptions{})
		m.del(k)
		m.str[k] = "s" + strconv.Itoa(a)
	case 9:
		s.Del(b(k))
		m.del(k)
	case 10:
		clk.Advance(time.Millisecond)
		if a%2 == 0 {
			s.ExpireCycle()
		}
	case 11:
		found, _, err := s.Transfer(b(k), b(k2), a%2 == 0, true)
		if err != nil || found != (kind != "none") {
			t.Fatalf("Transfer(%s, %s) = %v, %v; model kind %s", k, k2, found, err, kind)
		}
		if found && k != k2 {
			m.copyKey(k, k2, a%2 == 0)
		}
	case 12:
		moved, err := s.SMove(b(k), b(k2), b(fld))
		if kind == "set" && m.kind(k2) != "set" && m.kind(k2) != "none" {
			if !errors.Is(err, ErrWrongType) {
				t.Fatalf("SMOVE to a %s: %v", m.kind(k2), err)
			}
			return
		}
		wrong("set", err)
		if err == nil && moved != m.set[k][fld] {
			t.Fatalf("SMOVE %s %s %s = %v", k, k2, fld, moved)
		}
		if moved && k != k2 {
			delete(m.set[k], fld)
			if len(m.set[k]) == 0 {
				delete(m.set, k)
			}
			if m.set[k2] == nil {
				m.del(k2)
				m.set[k2] = map[string]bool{}
			}
			m.set[k2][fld] = true
		}
	case 13:
		op := SetOp(a % 3)
		srcs := [][]byte{b(k2), b(tkeys[(a/3)%len(tkeys)])}
		_, err := s.SetStore(op, b(k), srcs)
		var res map[string]bool
		for i, src := range srcs {
			sk := m.kind(string(src))
			if sk != "set" && sk != "none" {
				if !errors.Is(err, ErrWrongType) {
					t.Fatalf("SetStore over a %s: %v", sk, err)
				}
				return
			}
			cur := m.set[string(src)]
			switch {
			case i == 0:
				res = maps(cur)
			case op == SetUnion:
				for x := range cur {
					res[x] = true
				}
			case op == SetInter:
				for x := range res {
					if !cur[x] {
						delete(res, x)
					}
				}
			default:
				for x := range cur {
					delete(res, x)
				}
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		m.del(k)
		if len(res) > 0 {
			m.set[k] = res
		}
	case 14:
		exportRoundTrip(t, s, m)
	default:
		zsetStep(t, s, m, op, k, a)
	}
}

func maps(a map[string]bool) map[string]bool {
	out := map[string]bool{}
	for x := range a {
		out[x] = true
	}
	return out
}

func (m *tmodel) copyKey(src, dst string, move bool) {
	m.purge(src)
	str, h, st, z := m.str[src], m.hash[src], m.set[src], m.zset[src]
	_, isStr := m.str[src]
	m.del(dst)
	switch {
	case isStr:
		m.str[dst] = str
	case h != nil:
		c := map[string]hfield{}
		for f, e := range h {
			c[f] = e
		}
		m.hash[dst] = c
	case st != nil:
		m.set[dst] = maps(st)
	case z != nil:
		m.zset[dst] = zcopy(z)
	}
	if move {
		m.del(src)
	}
}

// compareKey checks key's kind and contents against the model.
func compareKey(t *testing.T, s Ops, m *tmodel, k string) {
	t.Helper()
	want := m.kind(k)
	s.HLen(b(k)) // a hash whose fields all expired exists until loaded (as in Redis 7.4)
	if got := s.Type(b(k)); got != want {
		t.Fatalf("TYPE %s = %s, want %s", k, got, want)
	}
	switch want {
	case "hash":
		got := map[string]string{}
		err := s.HGetAll(b(k), func(int) {}, func(f, v []byte) { got[string(f)] = string(v) })
		if err != nil || len(got) != len(m.hash[k]) {
			t.Fatalf("HGETALL %s = %v, %v; model %v", k, got, err, m.hash[k])
		}
		for f, e := range m.hash[k] {
			if got[f] != e.v {
				t.Fatalf("HGETALL %s: %s = %q, model %q", k, f, got[f], e.v)
			}
		}
	case "set":
		var got []string
		err := s.SMembers(b(k), func(int) {}, func(x []byte) { got = append(got, string(x)) })
		var w []string
		for x := range m.set[k] {
			w = append(w, x)
		}
		sort.Strings(got)
		sort.Strings(w)
		if err != nil || !slices.Equal(got, w) {
			t.Fatalf("SMEMBERS %s = %v, %v; model %v", k, got, err, w)
		}
	case "zset":
		compareZSet(t, s, m, k)
	case "string":
		if v, ok := s.Get(nil, b(k)); !ok || string(v) != m.str[k] {
			t.Fatalf("GET %s = %q, %v; model %q", k, v, ok, m.str[k])
		}
	}
}

// exportRoundTrip exports the keys' slot into a fresh store and compares
// it with the model, field TTLs included.
func exportRoundTrip(t *testing.T, s *Store, m *tmodel) {
	t.Helper()
	s2, clk2 := newTest(t)
	clk2.t.Store(m.clk.Now())
	s.ExportSlot(ring.KeySlot("t"), 2, func(es []Entry) bool {
		for _, e := range es {
			if err := s2.Import(e); err != nil {
				t.Fatalf("Import(%s): %v", e.Key, err)
			}
		}
		return true
	})
	for _, k := range tkeys {
		compareKey(t, s2, m, k)
		for f, e := range m.hash[k] {
			err := s2.HTTL(b(k), [][]byte{b(f)}, func(_ int, ttl time.Duration, st TTLState) {
				if (st == HasTTL) != (e.at != 0) || st == HasTTL && int64(ttl) != e.at-m.clk.Now() {
					t.Fatalf("imported %s.%s: ttl %v %v, model deadline %d", k, f, ttl, st, e.at)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if fmt.Sprint(s2.Len()) != fmt.Sprint(len(m.str)+len(m.hash)+len(m.set)+len(m.zset)) {
		t.Fatalf("imported %d keys, model %d", s2.Len(), len(m.str)+len(m.hash)+len(m.set)+len(m.zset))
	}
}
