package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	bad := []Config{{Shards: 3}, {Shards: 1 << 15}, {MaxMemory: -1}, {Policy: 99}, {ActiveExpiry: -1}, {MaxValueSize: -5}}
	for _, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	c := DefaultConfig()
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Clock != nil {
		t.Error("New mutated the caller's config")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestPolicyNames(t *testing.T) {
	for p := NoEviction; p <= VolatileRandom; p++ {
		got, err := ParsePolicy(strings.ToUpper(p.String()))
		if err != nil || got != p {
			t.Errorf("ParsePolicy(%s) = %v, %v", p, got, err)
		}
	}
	if _, err := ParsePolicy("lru"); err == nil {
		t.Error("ParsePolicy accepted lru")
	}
}

func TestSetConditions(t *testing.T) {
	s, _ := newTest(t)
	if _, _, ok, _ := s.Set(nil, b("k"), b("1"), SetOptions{Cond: SetXX}); ok {
		t.Fatal("XX wrote a missing key")
	}
	mustSet(t, s, "k", "1", SetOptions{Cond: SetNX})
	old, existed, ok, _ := s.Set(nil, b("k"), b("2"), SetOptions{Cond: SetNX, Get: true})
	if ok || !existed || string(old) != "1" {
		t.Fatalf("NX GET on existing = %q %v %v", old, existed, ok)
	}
	old, existed, ok, _ = s.Set(nil, b("k"), b("3"), SetOptions{Cond: SetXX, Get: true})
	if !ok || !existed || string(old) != "1" {
		t.Fatalf("XX GET = %q %v %v", old, existed, ok)
	}
	wantGet(t, s, "k", "3", true)
	old, existed, _, _ = s.Set(nil, b("new"), b("v"), SetOptions{Get: true})
	if existed || len(old) != 0 {
		t.Fatal("GET on missing key returned a value")
	}
}

func TestSetTTLAndKeepTTL(t *testing.T) {
	s, clk := newTest(t)
	mustSet(t, s, "k", "v", SetOptions{TTL: 10 * time.Second})
	if d, st := s.TTL(b("k")); st != HasTTL || d != 10*time.Second {
		t.Fatalf("TTL = %v %v", d, st)
	}
	clk.Advance(4 * time.Second)
	mustSet(t, s, "k", "w", SetOptions{KeepTTL: true})
	if d, st := s.TTL(b("k")); st != HasTTL || d != 6*time.Second {
		t.Fatalf("KEEPTTL: TTL = %v %v", d, st)
	}
	mustSet(t, s, "k", "x", SetOptions{})
	if _, st := s.TTL(b("k")); st != NoTTL {
		t.Fatalf("plain SET kept the TTL: %v", st)
	}
	mustSet(t, s, "k", "y", SetOptions{TTL: -time.Second})
	wantGet(t, s, "k", "", false)
	if s.Len() != 0 || s.Expires() != 0 {
		t.Fatalf("Len %d Expires %d", s.Len(), s.Expires())
	}
	if _, st := s.TTL(b("k")); st != NoKey {
		t.Fatal("TTL of a missing key:", st)
	}
}

func TestExpireConditions(t *testing.T) {
	s, _ := newTest(t)
	if s.Expire(b("none"), time.Second, ExpireAlways) {
		t.Fatal("EXPIRE on a missing key")
	}
	mustSet(t, s, "k", "v", SetOptions{})
	cases := []struct {
		ttl  time.Duration
		cond ExpireCond
		want bool
		left time.Duration // -1: no TTL
	}{
		{10 * time.Second, ExpireGT, false, -1}, // no TTL = infinite: GT fails
		{10 * time.Second, ExpireXX, false, -1},
		{10 * time.Second, ExpireLT, true, 10 * time.Second}, // infinite > 10s
		{20 * time.Second, ExpireNX, false, 10 * time.Second},
		{5 * time.Second, ExpireGT, false, 10 * time.Second},
		{20 * time.Second, ExpireGT, true, 20 * time.Second},
		{30 * time.Second, ExpireLT, false, 20 * time.Second},
		{15 * time.Second, ExpireXX, true, 15 * time.Second},
	}
	for i, c := range cases {
		if got := s.Expire(b("k"), c.ttl, c.cond); got != c.want {
			t.Fatalf("case %d: Expire = %v", i, got)
		}
		d, st := s.TTL(b("k"))
		if c.left < 0 && st != NoTTL || c.left >= 0 && (st != HasTTL || d != c.left) {
			t.Fatalf("case %d: TTL = %v %v", i, d, st)
		}
	}
	if !s.Persist(b("k")) || s.Persist(b("k")) {
		t.Fatal("Persist")
	}
	if s.Expire(b("k"), -time.Second, ExpireGT) {
		t.Fatal("GT with a past time on a key without TTL")
	}
	if !s.Expire(b("k"), 0, ExpireAlways) || s.Exists(b("k")) {
		t.Fatal("EXPIRE 0 must delete")
	}
}

func TestGetExGetDel(t *testing.T) {
	s, _ := newTest(t)
	mustSet(t, s, "k", "v", SetOptions{})
	v, ok := s.GetEx(nil, b("k"), 5*time.Second, false, true)
	if !ok || string(v) != "v" {
		t.Fatal("GetEx", v, ok)
	}
	if d, _ := s.TTL(b("k")); d != 5*time.Second {
		t.Fatal("GetEx EX:", d)
	}
	s.GetEx(nil, b("k"), 0, true, false)
	if _, st := s.TTL(b("k")); st != NoTTL {
		t.Fatal("GetEx PERSIST:", st)
	}
	if _, ok := s.GetEx(nil, b("k"), -1, false, true); !ok || s.Exists(b("k")) {
		t.Fatal("GetEx with a past time must return then delete")
	}
	mustSet(t, s, "k", "v2", SetOptions{})
	if v, ok := s.GetDel(nil, b("k")); !ok || string(v) != "v2" || s.Exists(b("k")) {
		t.Fatal("GetDel")
	}
	if _, ok := s.GetDel(nil, b("k")); ok {
		t.Fatal("GetDel on a missing key")
	}
	if s.Type(b("k")) != "none" || s.Del(b("k")) || s.Touch(b("k")) {
		t.Fatal("missing key ops")
	}
}

func TestIncrBy(t *testing.T) {
	s, clk := newTest(t)
	if n, err := s.IncrBy(b("n"), 5); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	if n, err := s.IncrBy(b("n"), -7); n != -2 || err != nil {
		t.Fatal(n, err)
	}
	mustSet(t, s, "max", "9223372036854775807", SetOptions{TTL: time.Minute})
	if _, err := s.IncrBy(b("max"), 1); !errors.Is(err, ErrOverflow) {
		t.Fatal("overflow:", err)
	}
	mustSet(t, s, "min", "-9223372036854775808", SetOptions{})
	if _, err := s.IncrBy(b("min"), -1); !errors.Is(err, ErrOverflow) {
		t.Fatal("underflow:", err)
	}
	for _, bad := range []string{"", "abc", "01", "+1", " 1", "1 ", "1.0", "-0", "9223372036854775808", "-", "99999999999999999999"} {
		mustSet(t, s, "bad", bad, SetOptions{})
		if _, err := s.IncrBy(b("bad"), 1); !errors.Is(err, ErrNotInteger) {
			t.Errorf("IncrBy on %q: %v", bad, err)
		}
	}
	clk.Advance(30 * time.Second)
	if n, err := s.IncrBy(b("max"), -7); err != nil || n != 9223372036854775800 {
		t.Fatal(n, err)
	}
	if d, _ := s.TTL(b("max")); d != 30*time.Second {
		t.Fatal("INCR must keep the TTL:", d)
	}
}

func TestAppendStrLenGetRange(t *testing.T) {
	s, _ := newTest(t)
	if n, err := s.Append(b("k"), b("Hello")); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	for i := 0; i < 100; i++ {
		s.Append(b("k"), b(" World"))
	}
	if s.StrLen(b("k")) != 605 || s.StrLen(b("missing")) != 0 {
		t.Fatal("StrLen", s.StrLen(b("k")))
	}
	mustSet(t, s, "r", "This is a string", SetOptions{})
	cases := []struct {
		start, end int64
		want       string
	}{{0, 3, "This"}, {-3, -1, "ing"}, {0, -1, "This is a string"}, {10, 100, "string"},
		{5, 3, ""}, {-1, -5, ""}, {-100, 3, "This"}, {16, 20, ""}, {-100, -100, "T"}}
	for _, c := range cases {
		if got := s.GetRange(nil, b("r"), c.start, c.end); string(got) != c.want {
			t.Errorf("GetRange(%d,%d) = %q want %q", c.start, c.end, got, c.want)
		}
	}
	if got := s.GetRange(nil, b("missing"), 0, -1); len(got) != 0 {
		t.Error("GetRange on missing key")
	}
}

func TestSetRange(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.MaxValueSize = 1000 })
	if n, err := s.SetRange(b("k"), 5, nil); n != 0 || err != nil || s.Exists(b("k")) {
		t.Fatal("empty SETRANGE on missing key created it", n, err)
	}
	if n, err := s.SetRange(b("k"), 3, b("ab")); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	wantGet(t, s, "k", "\x00\x00\x00ab", true)
	if n, _ := s.SetRange(b("k"), 1, b("XY")); n != 5 {
		t.Fatal(n)
	}
	wantGet(t, s, "k", "\x00XYab", true)
	if n, _ := s.SetRange(b("k"), 10, b("Z")); n != 11 {
		t.Fatal(n)
	}
	wantGet(t, s, "k", "\x00XYab\x00\x00\x00\x00\x00Z", true)
	if n, err := s.SetRange(b("k"), 0, nil); n != 11 || err != nil {
		t.Fatal("empty SETRANGE returns the length", n, err)
	}
	if _, err := s.SetRange(b("k"), 999, b("xy")); !errors.Is(err, ErrMaxSize) {
		t.Fatal("max size:", err)
	}
	if _, err := s.Append(b("k"), make([]byte, 990)); !errors.Is(err, ErrMaxSize) {
		t.Fatal("APPEND max size:", err)
	}
	if n, err := s.SetRange(b("k"), 999, b("x")); n != 1000 || err != nil {
		t.Fatal("SETRANGE up to the limit", n, err)
	}
}

func TestModify(t *testing.T) {
	s, _ := newTest(t)
	mustSet(t, s, "k", "abc", SetOptions{TTL: time.Minute})
	err := s.Modify(b("k"), func(old []byte, ok bool) ([]byte, bool) {
		if !ok || string(old) != "abc" {
			t.Fatal("Modify saw", old, ok)
		}
		return append(old[:0:0], "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz"...), true
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, st := s.TTL(b("k")); st != HasTTL || d != time.Minute {
		t.Fatal("Modify must keep the TTL")
	}
	s.Modify(b("k"), func(old []byte, ok bool) ([]byte, bool) { return old[:3], true }) // aliases the store
	wantGet(t, s, "k", "abc", true)
	s.Modify(b("m"), func(old []byte, ok bool) ([]byte, bool) { return nil, false })
	if s.Exists(b("m")) {
		t.Fatal("write=false created a key")
	}
}

func TestMSet(t *testing.T) {
	s, _ := newTest(t)
	if err := s.MSet([][]byte{b("a"), b("1"), b("b"), b("2"), b("c"), b("3")}); err != nil {
		t.Fatal(err)
	}
	wantGet(t, s, "b", "2", true)
	if ok, err := s.MSetNX([][]byte{b("d"), b("4"), b("e"), b("5")}); !ok || err != nil {
		t.Fatal("MSetNX across slots:", ok, err)
	}
	wantGet(t, s, "e", "5", true)
	if ok, _ := s.MSetNX([][]byte{b("f"), b("6"), b("b"), b("9")}); ok || s.Exists(b("f")) {
		t.Fatal("MSetNX across slots must be all or nothing")
	}
	wantGet(t, s, "b", "2", true)
	ok, err := s.MSetNX([][]byte{b("{t}x"), b("1"), b("{t}y"), b("2")})
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	ok, _ = s.MSetNX([][]byte{b("{t}z"), b("1"), b("{t}y"), b("9")})
	if ok || s.Exists(b("{t}z")) {
		t.Fatal("MSetNX must be all or nothing")
	}
	wantGet(t, s, "{t}y", "2", true)
}

func TestAtomicTx(t *testing.T) {
	s, _ := newTest(t)
	slot := 15495 // KEYSLOT("a")
	s.Atomic(slot, func(tx *Tx) {
		if tx.Slot() != slot {
			t.Fatal("slot")
		}
		mustSet(t, tx, "a", "1", SetOptions{})
		if _, err := tx.IncrBy(b("a"), 1); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := tx.Set(nil, b("b"), b("x"), SetOptions{}); !errors.Is(err, ErrCrossSlot) {
			t.Fatal("cross-slot Set in Tx:", err)
		}
		if tx.Exists(b("b")) || tx.Del(b("b")) {
			t.Fatal("cross-slot no-ops")
		}
	})
	wantGet(t, s, "a", "2", true)
}

func TestHitsMissesAndPeek(t *testing.T) {
	s, _ := newTest(t)
	mustSet(t, s, "k", "v", SetOptions{})
	s.Get(nil, b("k"))
	s.Get(nil, b("nope"))
	s.Peek(nil, b("k"))
	st := s.Stats()
	if st.Hits != 1 || st.Misses != 1 || st.Keys != 1 {
		t.Fatalf("%+v", st)
	}
	s.ResetStats()
	if st := s.Stats(); st.Hits != 0 || st.Misses != 0 {
		t.Fatalf("%+v", st)
	}
}

func TestGetZeroAllocs(t *testing.T) {
	s, _ := newTest(t)
	mustSet(t, s, "key:000000000001", strings.Repeat("x", 100), SetOptions{})
	dst := make([]byte, 0, 128)
	k := b("key:000000000001")
	if n := testing.AllocsPerRun(100, func() { dst, _ = s.Get(dst[:0], k) }); n != 0 {
		t.Fatalf("Get allocates %v", n)
	}
}
