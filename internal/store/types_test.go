package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// TestExportImportEveryKind: ExportSlot/Import (warm hand-off, replication)
// carry strings, small and large hashes (field TTLs included) and intset,
// listpack and hashtable sets, listpack and skiplist sorted sets, listpack
// and quicklist lists, with their key TTLs, and the encodings and scores
// come back the same.
func TestExportImportEveryKind(t *testing.T) {
	src, _ := newTest(t)
	k := func(s string) []byte { return []byte("{x}" + s) }
	mustSet(t, src, "{x}str", "v", SetOptions{TTL: time.Hour})
	src.HSet(k("hsmall"), [][]byte{b("a"), b("1"), b("b"), b("2")}, false)
	src.HExpire(k("hsmall"), time.Minute, ExpireAlways, [][]byte{b("a")}, func(int, int) {})
	var big, ints, strs, many [][]byte
	for i := 0; i < 1000; i++ {
		big = append(big, b("f"+strconv.Itoa(i)), b("v"+strconv.Itoa(i)))
		many = append(many, b("m"+strconv.Itoa(i)))
	}
	for i := 0; i < 10; i++ {
		ints, strs = append(ints, b(strconv.Itoa(i))), append(strs, b("s"+strconv.Itoa(i)))
	}
	src.HSet(k("hbig"), big, false)
	src.HExpire(k("hbig"), 2*time.Minute, ExpireAlways, [][]byte{b("f7")}, func(int, int) {})
	src.Expire(k("hbig"), time.Hour, ExpireAlways)
	src.SAdd(k("sints"), ints)
	src.SAdd(k("sstrs"), strs)
	src.SAdd(k("sbig"), many)
	var zbig []ZEntry
	for i := 0; i < 1000; i++ {
		zbig = append(zbig, ZEntry{Member: b("m" + strconv.Itoa(i)), Score: float64(i%7) / 3})
	}
	src.ZAdd(k("zsmall"), ZAddOpts{}, []ZEntry{{b("a"), math.Inf(-1)}, {b("b"), 1.5}})
	src.ZAdd(k("zbig"), ZAddOpts{}, zbig)
	src.Expire(k("zbig"), time.Hour, ExpireAlways)
	src.LPush(k("lsmall"), strs, false, false)
	src.LPush(k("lbig"), big, true, false)
	keys := []string{"str", "hsmall", "hbig", "sints", "sstrs", "sbig", "zsmall", "zbig", "lsmall", "lbig"}
	wantEnc := []string{"", "listpackex", "hashtable", "intset", "listpack", "hashtable", "listpack", "skiplist",
		"listpack", "quicklist"}

	dst, _ := newTest(t)
	n := 0
	src.ExportSlot(ring.KeySlot("x"), 2, func(es []Entry) bool {
		for _, e := range es {
			if err := dst.Import(e); err != nil {
				t.Fatal(err)
			}
			n++
		}
		return true
	})
	if n != len(keys) || dst.Len() != len(keys) {
		t.Fatalf("exported %d, imported %d keys, want %d", n, dst.Len(), len(keys))
	}
	for i, key := range keys {
		if got := dst.Encoding(k(key)); got != wantEnc[i] {
			t.Errorf("%s: encoding %q, want %q", key, got, wantEnc[i])
		}
		if a, b := src.Type(k(key)), dst.Type(k(key)); a != b {
			t.Errorf("%s: type %s, imported %s", key, a, b)
		}
	}
	if ttl, st := dst.TTL(k("hbig")); st != HasTTL || ttl != time.Hour {
		t.Errorf("hbig key TTL %v %v", ttl, st)
	}
	dst.HTTL(k("hbig"), [][]byte{b("f7"), b("f8")}, func(i int, ttl time.Duration, st TTLState) {
		if i == 0 && (st != HasTTL || ttl != 2*time.Minute) || i == 1 && st != NoTTL {
			t.Errorf("hbig field %d TTL %v %v", i, ttl, st)
		}
	})
	if n, _ := dst.HLen(k("hbig")); n != 1000 {
		t.Errorf("hbig has %d fields", n)
	}
	if n, _ := dst.SCard(k("sbig")); n != 1000 {
		t.Errorf("sbig has %d members", n)
	}
	if ttl, st := dst.TTL(k("zbig")); st != HasTTL || ttl != time.Hour {
		t.Errorf("zbig key TTL %v %v", ttl, st)
	}
	for _, key := range []string{"zsmall", "zbig"} {
		all := ZRangeSpec{Start: 0, Stop: -1, Count: -1}
		want, _ := src.ZRange(k(key), all)
		got, _ := dst.ZRange(k(key), all)
		if fmt.Sprint(got) != fmt.Sprint(want) || len(got) == 0 {
			t.Errorf("%s imported %d entries, exported %d (or they differ)", key, len(got), len(want))
		}
	}
	for i, key := range []string{"lsmall", "lbig"} {
		want := [][]byte{strs[0], big[1999]}[i] // lbig was pushed at the front
		if v, _, _ := dst.LIndex(k(key), 0); string(v) != string(want) {
			t.Errorf("%s[0] = %q, want %q", key, v, want)
		}
		if n, _ := dst.LLen(k(key)); n != []int{10, 2000}[i] {
			t.Errorf("%s has %d elements", key, n)
		}
	}
	for _, key := range keys {
		e, ok := src.ExportKey(k(key))
		if !ok || e.Kind.String() != src.Type(k(key)) {
			t.Errorf("ExportKey(%s) = kind %v, %v", key, e.Kind, ok)
		}
	}
	if ok, err := dst.ImportNX(Entry{Key: k("hbig"), Kind: KindSet, Value: []byte{1, 'x'}}); ok || err != nil {
		t.Errorf("ImportNX over an existing key = %v, %v", ok, err)
	}
	if ok, err := dst.ImportNX(Entry{Key: k("new"), Kind: KindSet, Value: []byte{1, 'x'}}); !ok || err != nil || dst.Type(k("new")) != "set" {
		t.Errorf("ImportNX of a new set = %v, %v", ok, err)
	}
	if err := dst.Import(Entry{Key: b("bad"), Kind: KindHash, Value: []byte{200}}); err == nil {
		t.Error("a malformed hash entry was imported")
	}
}

// TestTypesCountAgainstMaxMemory: large hashes and sets count in used
// memory, are evicted under maxmemory, and freeing them returns the bytes.
func TestTypesCountAgainstMaxMemory(t *testing.T) {
	s, _ := newTest(t)
	base := s.UsedMemory()
	var fv [][]byte
	for i := 0; i < 5000; i++ {
		fv = append(fv, b("field"+strconv.Itoa(i)), b("value"+strconv.Itoa(i)))
	}
	s.HSet(b("h"), fv, false)
	s.SAdd(b("s"), fv)
	grew := s.UsedMemory() - base
	if grew < 5000*20 {
		t.Fatalf("a 5000-field hash and a 10000-member set grew used memory by %d bytes", grew)
	}
	s.Del(b("h"))
	s.Del(b("s"))
	if s.mem.objs.Load() != 0 {
		t.Fatalf("objects still accounted: %d", s.mem.objs.Load())
	}
	s.SetMaxMemory(base + grew/2)
	for i := 0; i < 20; i++ {
		if _, err := s.HSet(b("h"+strconv.Itoa(i)), fv[:2000], false); err != nil && !errors.Is(err, ErrOOM) {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.EvictedKeys == 0 || st.UsedMemory > base+grew/2+grew/4 {
		t.Fatalf("evicted %d keys, used %d of budget %d", st.EvictedKeys, st.UsedMemory, base+grew/2)
	}
}

// TestWrongType: string operations on other kinds fail or read as missing
// and never clobber the value; type operations on strings fail.
func TestWrongType(t *testing.T) {
	s, _ := newTest(t)
	s.HSet(b("h"), [][]byte{b("f"), b("v")}, false)
	mustSet(t, s, "str", "v", SetOptions{})
	if _, ok := s.Get(nil, b("h")); ok {
		t.Error("GET of a hash found a string")
	}
	if _, err := s.IncrBy(b("h"), 1); !errors.Is(err, ErrWrongType) {
		t.Errorf("INCR of a hash: %v", err)
	}
	if _, err := s.Append(b("h"), b("x")); !errors.Is(err, ErrWrongType) {
		t.Errorf("APPEND of a hash: %v", err)
	}
	if _, _, _, err := s.Set(nil, b("h"), b("x"), SetOptions{Get: true}); !errors.Is(err, ErrWrongType) {
		t.Errorf("SET GET of a hash: %v", err)
	}
	if _, err := s.SAdd(b("h"), [][]byte{b("m")}); !errors.Is(err, ErrWrongType) {
		t.Errorf("SADD to a hash: %v", err)
	}
	if _, err := s.HSet(b("str"), [][]byte{b("f"), b("v")}, false); !errors.Is(err, ErrWrongType) {
		t.Errorf("HSET to a string: %v", err)
	}
	if n, _ := s.HLen(b("h")); n != 1 || s.Type(b("h")) != "hash" {
		t.Error("the hash was clobbered")
	}
}

// TestRandomCountsNeverOverflow: SRANDMEMBER, SPOP and HRANDFIELD with a
// count near MaxInt64 on a large value return every member once. The
// large-value shortcut tested count*4 < size, which wraps for such a
// count, and then drew distinct members forever under the shard lock.
func TestRandomCountsNeverOverflow(t *testing.T) {
	s, _ := newTest(t)
	var members, fields [][]byte
	for i := 0; i < 1000; i++ {
		members = append(members, b("m"+strconv.Itoa(i)))
		fields = append(fields, b("f"+strconv.Itoa(i)), b("v"))
	}
	s.SAdd(b("s"), members)
	s.HSet(b("h"), fields, false)
	huge := int64(math.MaxInt64/4 + 1) // huge*4 wraps to a negative number
	if out, err := s.SRandMember(b("s"), huge); err != nil || len(out) != 1000 {
		t.Errorf("SRANDMEMBER huge: %d members, %v", len(out), err)
	}
	if out, _, err := s.HRandField(b("h"), huge); err != nil || len(out) != 1000 {
		t.Errorf("HRANDFIELD huge: %d fields, %v", len(out), err)
	}
	if out, err := s.SPop(b("s"), huge); err != nil || len(out) != 1000 {
		t.Errorf("SPOP huge: %d members, %v", len(out), err)
	}
}
