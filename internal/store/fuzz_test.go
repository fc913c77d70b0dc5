package store

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"time"
)

// model is the reference: a plain map with deadlines on the fake clock.
type model struct {
	m   map[string]modelEnt
	clk *fakeClock
}

type modelEnt struct {
	val []byte
	at  int64 // 0 = no TTL
}

func (m *model) get(k string) (modelEnt, bool) {
	e, ok := m.m[k]
	if ok && e.at != 0 && e.at <= m.clk.Now() {
		delete(m.m, k)
		return e, false
	}
	return e, ok
}

func (m *model) live() int {
	n := 0
	for k := range m.m {
		if _, ok := m.get(k); ok {
			n++
		}
	}
	return n
}

var fuzzKeys = []string{"a", "b", "{t}1", "{t}2", "counter", "a-much-longer-key-for-records", ""}

// FuzzOps runs an operation sequence against the store and the model and
// compares every result. The first byte picks a colliding hash function.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 0, 1, 5, 'h', 'e', 'l', 'l', 'o', 1, 1, 0, 9, 3, 2, 1, 200})
	f.Add([]byte{1, 0, 0, 3, 'x', 'y', 'z', 0, 1, 3, 'q', 'q', 'q', 2, 0, 10, 9, 0, 5, 1})
	f.Add([]byte{0, 6, 4, 2, 0, 4, 7, 0, 4, 5, 0, 4, 11, 0, 4, 3, 9, 4, 0})
	f.Add([]byte{1, 8, 2, 4, 1, 2, 3, 4, 9, 0, 0, 12, 2, 7, 13, 2, 1, 1, 14, 3, 0, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		s, clk := newTest(t, func(c *Config) { c.Shards = 2; c.MaxValueSize = 64 })
		if data[0]&1 == 1 {
			s.hash = func(k []byte) uint64 { return uint64(len(k) % 3) }
		}
		m := &model{m: map[string]modelEnt{}, clk: clk}
		for p := 1; p+2 < len(data); {
			p = fuzzStep(t, s, m, data, p)
		}
		if s.Len() != m.live() {
			t.Fatalf("Len %d, model %d", s.Len(), m.live())
		}
		checkScanMatchesLen(t, s)
	})
}

// fuzzStep runs the operation encoded at data[p:] and returns the next p.
func fuzzStep(t *testing.T, s *Store, m *model, data []byte, p int) int {
	op, k := data[p]%16, fuzzKeys[int(data[p+1])%len(fuzzKeys)]
	arg := int(data[p+2])
	p += 3
	n := min(arg%8, len(data)-p)
	val := append([]byte(nil), data[p:p+n]...)
	p += n
	ttl := time.Duration(arg%5-1) * time.Second // -1s..3s
	e, ok := m.get(k)
	switch op {
	case 0, 1: // SET with options
		fuzzSet(t, s, m, k, val, arg, ttl, e, ok)
	case 2:
		v, got := s.Get(nil, b(k))
		if got != ok || ok && !bytes.Equal(v, e.val) {
			t.Fatalf("GET %q = %q %v; model %q %v", k, v, got, e.val, ok)
		}
	case 3:
		if s.Del(b(k)) != ok {
			t.Fatalf("DEL %q", k)
		}
		delete(m.m, k)
	case 4:
		fuzzExpire(t, s, m, k, arg, ttl, e, ok)
	case 5:
		d, st := s.TTL(b(k))
		switch {
		case !ok && st != NoKey, ok && e.at == 0 && st != NoTTL,
			ok && e.at != 0 && (st != HasTTL || int64(d) != e.at-m.clk.Now()):
			t.Fatalf("TTL %q = %v %v; model %+v %v", k, d, st, e, ok)
		}
	case 6, 7:
		fuzzIncrAppend(t, s, m, k, val, arg, op == 6, e, ok)
	case 8:
		off := int64(arg % 70)
		l, err := s.SetRange(b(k), off, val)
		fuzzSetRange(t, m, k, e, ok, off, val, l, err)
	case 9:
		start, end := int64(arg%11)-5, int64(arg/11%11)-5
		want := (&Store{}).refRange(e.val[:len(e.val)*b2i(ok)], start, end)
		if got := s.GetRange(nil, b(k), start, end); !bytes.Equal(got, want) {
			t.Fatalf("GETRANGE %q %d %d = %q want %q", k, start, end, got, want)
		}
	case 10:
		if s.StrLen(b(k)) != len(e.val)*b2i(ok) {
			t.Fatalf("STRLEN %q", k)
		}
	case 11:
		v, got := s.GetDel(nil, b(k))
		if got != ok || ok && !bytes.Equal(v, e.val) {
			t.Fatalf("GETDEL %q", k)
		}
		delete(m.m, k)
	case 12:
		m.clk.Advance(time.Duration(arg) * 20 * time.Millisecond)
	case 13:
		s.ExpireCycle()
	case 14:
		if got := s.Persist(b(k)); got != (ok && e.at != 0) {
			t.Fatalf("PERSIST %q = %v", k, got)
		}
		if ok {
			m.m[k] = modelEnt{val: e.val}
		}
	case 15:
		if s.Exists(b(k)) != ok || s.CountKeysInSlot(keySlot(k)) < b2i(ok) {
			t.Fatalf("EXISTS %q", k)
		}
	}
	return p
}

func fuzzSetRange(t *testing.T, m *model, k string, e modelEnt, ok bool, off int64, val []byte, l int, err error) {
	cur := e.val[:len(e.val)*b2i(ok)]
	if len(val) == 0 {
		if err != nil || l != len(cur) {
			t.Fatalf("empty SETRANGE %q = %d %v", k, l, err)
		}
		return
	}
	if off+int64(len(val)) > 64 {
		if !errors.Is(err, ErrMaxSize) {
			t.Fatalf("SETRANGE over max: %v", err)
		}
		return
	}
	nv := make([]byte, max(len(cur), int(off)+len(val)))
	copy(nv, cur)
	copy(nv[off:], val)
	if err != nil || l != len(nv) {
		t.Fatalf("SETRANGE %q = %d %v", k, l, err)
	}
	m.m[k] = modelEnt{val: nv, at: e.at * int64(b2i(ok))}
}

// refRange is GETRANGE written straight from Redis's t_string.c.
func (*Store) refRange(v []byte, start, end int64) []byte {
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start = n + start
	}
	if end < 0 {
		end = n + end
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return v[start : end+1]
}

func b2i(ok bool) int {
	if ok {
		return 1
	}
	return 0
}

func fuzzSet(t *testing.T, s *Store, m *model, k string, val []byte, arg int, ttl time.Duration, e modelEnt, ok bool) {
	o := SetOptions{Cond: SetCond(arg % 3), TTL: ttl, KeepTTL: arg%7 == 0, Get: true}
	old, existed, written, err := s.Set(nil, b(k), val, o)
	wantWrite := !(o.Cond == SetNX && ok || o.Cond == SetXX && !ok)
	if err != nil || existed != ok || written != wantWrite || ok && !bytes.Equal(old, e.val) {
		t.Fatalf("SET %q %+v: %q %v %v %v; model %q %v", k, o, old, existed, written, err, e.val, ok)
	}
	if wantWrite {
		at := int64(0)
		switch {
		case o.KeepTTL && ok:
			at = e.at
		case ttl > 0:
			at = m.clk.Now() + int64(ttl)
		}
		m.m[k] = modelEnt{val: val, at: at}
		if ttl < 0 && !(o.KeepTTL && ok) {
			delete(m.m, k)
		}
	}
}

func fuzzExpire(t *testing.T, s *Store, m *model, k string, arg int, ttl time.Duration, e modelEnt, ok bool) {
	cond := ExpireCond(arg % 5)
	at := m.clk.Now() + int64(ttl)
	want := ok && map[ExpireCond]bool{ExpireAlways: true, ExpireNX: e.at == 0, ExpireXX: e.at != 0,
		ExpireGT: e.at != 0 && at > e.at, ExpireLT: e.at == 0 || at < e.at}[cond]
	if got := s.Expire(b(k), ttl, cond); got != want {
		t.Fatalf("EXPIRE %q %v %d = %v", k, ttl, cond, got)
	}
	if want && ttl <= 0 {
		delete(m.m, k)
	} else if want {
		m.m[k] = modelEnt{val: e.val, at: at}
	}
}

func fuzzIncrAppend(t *testing.T, s *Store, m *model, k string, val []byte, arg int, incr bool, e modelEnt, ok bool) {
	if incr {
		got, err := s.IncrBy(b(k), int64(arg)-128)
		cur, good := int64(0), true
		if ok {
			cur, good = modelInt(e.val)
		}
		if !good {
			if !errors.Is(err, ErrNotInteger) {
				t.Fatalf("INCR %q on %q: %v", k, e.val, err)
			}
			return
		}
		if err != nil || got != cur+int64(arg)-128 {
			t.Fatalf("INCR %q = %d %v", k, got, err)
		}
		m.m[k] = modelEnt{val: []byte(strconv.FormatInt(got, 10)), at: e.at * int64(b2i(ok))}
		return
	}
	l, err := s.Append(b(k), val)
	nv := append(append([]byte(nil), e.val[:len(e.val)*b2i(ok)]...), val...)
	if len(nv) > 64 {
		if !errors.Is(err, ErrMaxSize) {
			t.Fatalf("APPEND over max: %v", err)
		}
		return
	}
	if err != nil || l != len(nv) {
		t.Fatalf("APPEND %q = %d %v", k, l, err)
	}
	m.m[k] = modelEnt{val: nv, at: e.at * int64(b2i(ok))}
}

// modelInt is the model's integer rule, independent of the code under test:
// a decimal int64 in canonical form (what Redis's string2ll accepts).
func modelInt(v []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == string(v)
}
