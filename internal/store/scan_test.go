package store

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// TestScanGuarantee: keys present during the whole iteration are returned
// even while other keys are added and deleted between calls.
func TestScanGuarantee(t *testing.T) {
	s, _ := newTest(t)
	for i := 0; i < 3000; i++ {
		mustSet(t, s, fmt.Sprint("stable", i), "v", SetOptions{})
	}
	seen := map[string]bool{}
	var cur uint64
	var keys [][]byte
	for round := 0; ; round++ {
		keys, cur = s.Scan(cur, nil, 50, keys[:0])
		for _, k := range keys {
			seen[string(k)] = true
		}
		for j := 0; j < 40; j++ { // churn: grow the maps, delete others
			mustSet(t, s, fmt.Sprint("churn", round, "-", j), "v", SetOptions{})
			s.Del(b(fmt.Sprint("churn", round-1, "-", j)))
		}
		if cur == 0 {
			break
		}
	}
	for i := 0; i < 3000; i++ {
		if !seen[fmt.Sprint("stable", i)] {
			t.Fatalf("stable%d missed by SCAN", i)
		}
	}
}

func TestScanMatchAndExpired(t *testing.T) {
	s, clk := newTest(t)
	mustSet(t, s, "user:1", "v", SetOptions{})
	mustSet(t, s, "user:2", "v", SetOptions{TTL: time.Second})
	mustSet(t, s, "order:1", "v", SetOptions{})
	clk.Advance(2 * time.Second)
	keys, cur := s.Scan(0, b("user:*"), 1000, nil)
	if cur != 0 || len(keys) != 1 || string(keys[0]) != "user:1" {
		t.Fatalf("%q %d", keys, cur)
	}
}

func TestSlotOps(t *testing.T) {
	s, clk := newTest(t)
	slot := ring.KeySlot("{tag}")
	for i := 0; i < 1000; i++ {
		ttl := time.Duration(0)
		if i%2 == 0 {
			ttl = time.Minute
		}
		mustSet(t, s, fmt.Sprint("{tag}", i), fmt.Sprint("v", i), SetOptions{TTL: ttl})
	}
	mustSet(t, s, "other", "x", SetOptions{})
	if n := s.CountKeysInSlot(slot); n != 1000 {
		t.Fatal(n)
	}
	if n := countSlot(s, slot); n != 1000 {
		t.Fatal("SlotKeys returned", n)
	}
	clk.Advance(10 * time.Second)
	var got []Entry
	s.ExportSlot(slot, 64, func(es []Entry) bool {
		if len(es) > 64 {
			t.Fatal("batch too big")
		}
		got = append(got, es...)
		return true
	})
	if len(got) != 1000 {
		t.Fatal("exported", len(got))
	}
	d, _ := newTest(t)
	for _, e := range got {
		if e.TTL != 0 && e.TTL != 50*time.Second {
			t.Fatal("remaining TTL", e.TTL)
		}
		if err := d.Import(e); err != nil {
			t.Fatal(err)
		}
	}
	if d.CountKeysInSlot(slot) != 1000 || d.Expires() != 500 {
		t.Fatal("import", d.CountKeysInSlot(slot), d.Expires())
	}
	wantGet(t, d, "{tag}7", "v7", true)
	if n := s.DropSlot(slot); n != 1000 {
		t.Fatal("DropSlot", n)
	}
	if s.Len() != 1 || s.CountKeysInSlot(slot) != 0 || s.Expires() != 0 {
		t.Fatal("after DropSlot", s.Len())
	}
	stopped := 0
	d.ExportSlot(slot, 10, func([]Entry) bool { stopped++; return false })
	if stopped != 1 {
		t.Fatal("ExportSlot ignored false")
	}
}

func TestRandomKeyAndFlush(t *testing.T) {
	s, _ := newTest(t)
	if _, ok := s.RandomKey(nil); ok {
		t.Fatal("RandomKey on empty store")
	}
	mustSet(t, s, "a", "1", SetOptions{})
	if k, ok := s.RandomKey(nil); !ok || string(k) != "a" {
		t.Fatal(k, ok)
	}
	if s.FlushAll() != 1 || s.Len() != 0 {
		t.Fatal("FlushAll")
	}
	mustSet(t, s, "a", "2", SetOptions{})
	wantGet(t, s, "a", "2", true)
}

// TestHashCollisions forces every key to hash alike so the overflow maps
// carry the load.
func TestHashCollisions(t *testing.T) {
	s, clk := newTest(t, func(c *Config) { c.Shards = 1 })
	s.hash = func(k []byte) uint64 { return uint64(len(k)) }
	for i := 0; i < 200; i++ {
		mustSet(t, s, fmt.Sprint("k", i%10, "x", i), fmt.Sprint(i), SetOptions{TTL: time.Duration(i+1) * time.Second})
	}
	for i := 0; i < 200; i++ {
		wantGet(t, s, fmt.Sprint("k", i%10, "x", i), fmt.Sprint(i), true)
	}
	for i := 0; i < 200; i += 3 {
		if !s.Del(b(fmt.Sprint("k", i%10, "x", i))) {
			t.Fatal("Del", i)
		}
	}
	checkScanMatchesLen(t, s)
	clk.Advance(100 * time.Second)
	if n := s.Len(); n != 67 {
		t.Fatal("Len", n)
	}
	for i := 100; i < 200; i++ {
		_, ok := s.Get(nil, b(fmt.Sprint("k", i%10, "x", i)))
		if ok == (i%3 == 0) {
			t.Fatal("Get", i, ok)
		}
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"", "", true}, {"", "a", false}, {"a*", "a", true},
		{"h?llo", "hello", true}, {"h?llo", "hllo", false}, {"h*llo", "heeeello", true},
		{"h[ae]llo", "hallo", true}, {"h[ae]llo", "hillo", false}, {"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false}, {"h[a-b]llo", "hbllo", true}, {"h[b-a]llo", "hallo", true},
		{"h\\*llo", "h*llo", true}, {"h\\*llo", "hello", false}, {"*.txt", "a.b.txt", true},
		{"a*b*c", "aXbYbZc", true}, {"a*b*c", "aXbYbZ", false}, {"[abc", "b", true}, {"[\\]]", "]", true},
		{"ab\\", "ab\\", true}, {"?*", "", false}, {"*a", "aaaa", true},
		{"user:*:name", "user:42:name", true}, {"user:*:name", "user:42:age", false},
	}
	for _, c := range cases {
		if got := Match(b(c.pat), b(c.s), false); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.pat, c.s, got)
		}
	}
	if !Match(b("HELLO*"), b("hello world"), true) || Match(b("HELLO*"), b("hello"), false) {
		t.Error("nocase")
	}
	// A pattern that is exponential for naive recursion ends (O(n*m)).
	long := make([]byte, 20000)
	for i := range long {
		long[i] = 'a'
	}
	pat := b("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
	if Match(pat, long, false) {
		t.Fatal("matched")
	}
}

// Redis gives up past 1000 nested '*' (its fix for CVE-2022-36021): a
// pattern with 1001 runs of '*' before its end matches nothing, 1000 (or a
// trailing run more, or escaped stars) still match. Compared with
// redis-server in testdata/diff/issue15.txt.
func TestMatchNestingLimit(t *testing.T) {
	s := bytes.Repeat(b("a"), 1200)
	for _, c := range []struct {
		pat  []byte
		want bool
	}{
		{bytes.Repeat(b("*?"), 1000), true},
		{append(bytes.Repeat(b("*?"), 1000), '*'), true},
		{bytes.Repeat(b("*?"), 1001), false},
		{bytes.Repeat(b("**a"), 1001), false},
		{append(bytes.Repeat(b("\\*"), 1001), '*'), false}, // \* is a literal '*': no match either way
		{bytes.Repeat(b("[*]a"), 1001), false},
	} {
		if got := Match(c.pat, s, false); got != c.want {
			t.Errorf("Match(%.20q... (%d bytes)) = %v, want %v", c.pat, len(c.pat), got, c.want)
		}
	}
	if n := innerStarRuns(b("\\*a[*]b**c*")); n != 1 {
		t.Errorf("innerStarRuns = %d, want 1", n)
	}
}

func TestDropSlotsDropsOnlyChosenSlots(t *testing.T) {
	s, _ := newTest(t)
	const n = 20000
	want := map[int]int{}
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		mustSet(t, s, k, "v", SetOptions{})
		want[ring.KeySlot(k)]++
	}
	drop := func(slot int) bool { return slot%3 == 0 }
	dropped := 0
	for sl, c := range want {
		if drop(sl) {
			dropped += c
		}
	}
	if got := s.DropSlots(drop); got != dropped {
		t.Fatalf("DropSlots = %d, want %d", got, dropped)
	}
	if s.Len() != n-dropped {
		t.Fatalf("Len = %d, want %d", s.Len(), n-dropped)
	}
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		_, ok := s.Get(nil, []byte(k))
		if ok == drop(ring.KeySlot(k)) {
			t.Fatalf("%s (slot %d): present=%v after DropSlots", k, ring.KeySlot(k), ok)
		}
	}
	if s.DropSlots(drop) != 0 {
		t.Fatal("second DropSlots dropped keys")
	}
}
