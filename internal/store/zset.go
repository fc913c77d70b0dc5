package store

import (
	"encoding/binary"
	"math"
	"sort"
	"strings"
	"unsafe"
)

// Sorted sets. Two encodings, converting one way as Redis does: a
// listpack-like entry list in the record (per member: uvarint len, member,
// 8-byte little-endian score), kept sorted by (score, member), while there
// are at most ZSetEntries members of at most ZSetValue bytes; else a
// zsetLarge in the object table: a flatTable from member to score and a
// skiplist with spans (zskip.go), Redis's dict + zskiplist, so rank and
// range lookups are O(log n). The table is pointer-free and holds scores,
// not nodes: a member's node is found by its (score, member) in the list.

// zsetLarge is the large sorted set encoding.
type zsetLarge struct {
	dict  *flatTable // member → 8-byte little-endian score
	sl    *zskip
	bytes int64 // nodes and members
}

func newZsetLarge(hint int) *zsetLarge {
	return &zsetLarge{dict: newFlatTable(true, hint), sl: newZskip()}
}

func (o *zsetLarge) memBytes() int64 {
	return o.bytes + o.dict.memBytes() + 64 + zskipMaxLevel*16
}

// score returns m's score in the table.
func (o *zsetLarge) score(m []byte) (float64, bool) {
	v, ok := o.dict.get(m)
	if !ok {
		return 0, false
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(v)), true
}

// remove unlinks m (at score s) from the list; the caller updates dict.
func (o *zsetLarge) remove(m []byte, s float64) {
	if lv := o.sl.remove(s, alias(m)); lv > 0 {
		o.bytes -= nodeBytes(alias(m), lv)
	}
}

// zent is one member and its score; m may alias the record or the
// command's arguments for the duration of one operation.
type zent struct {
	m string
	s float64
}

// zsetv is a sorted set loaded for one operation under the shard lock: a
// missing key loads as an empty small set; commit writes back.
type zsetv struct {
	sh     *shard
	slot   int
	h      uint64
	key    []byte
	loc    uint64
	exists bool
	now    int64
	small  []zent
	large  *zsetLarge
	dirty  bool // small entries changed
	grew   bool // a member was added (may need the large encoding)
}

// alias returns b as a string without copying (valid while b is).
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// loadZSet loads key's sorted set (ErrWrongType for another kind).
func (sh *shard) loadZSet(slot int, key []byte) (zsetv, error) {
	now := sh.s.now()
	h, loc, ok, err := sh.findKind(slot, key, KindZSet, now)
	zv := zsetv{sh: sh, slot: slot, h: h, key: key, loc: loc, exists: ok, now: now}
	if err != nil || !ok {
		return zv, err
	}
	r := sh.arena.rec(loc)
	if r.enc() == encLarge {
		zv.large = sh.obj(r).(*zsetLarge)
		return zv, nil
	}
	zv.small, _ = decodeZSet(nil, r.val())
	return zv, nil
}

// decodeZSet appends the entries of a small sorted set (or of an Entry's
// value, the same format) to dst.
func decodeZSet(dst []zent, b []byte) ([]zent, bool) {
	for i := 0; i < len(b); {
		m, next, ok := lpNext(b, i)
		if !ok || len(b)-next < 8 {
			return dst, false
		}
		s := math.Float64frombits(binary.LittleEndian.Uint64(b[next:]))
		dst = append(dst, zent{m: alias(m), s: s})
		i = next + 8
	}
	return dst, true
}

func appendZent(dst []byte, e zent) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(e.m)))
	dst = append(dst, e.m...)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(e.s))
}

func (zv *zsetv) len() int {
	if zv.large != nil {
		return zv.large.sl.length
	}
	return len(zv.small)
}

// find returns the index of m in a small set, or -1.
func (zv *zsetv) find(m string) int {
	for i := range zv.small {
		if zv.small[i].m == m {
			return i
		}
	}
	return -1
}

// score returns m's score.
func (zv *zsetv) score(m []byte) (float64, bool) {
	if zv.large != nil {
		return zv.large.score(m)
	}
	if i := zv.find(alias(m)); i >= 0 {
		return zv.small[i].s, true
	}
	return 0, false
}

// put sets m's score (adding m when absent).
func (zv *zsetv) put(m []byte, s float64) {
	if zv.large != nil {
		o := zv.large
		if cur, ok := o.score(m); ok {
			if cur == s {
				return
			}
			o.remove(m, cur)
		} else {
			zv.grew = true
		}
		o.insert(string(m), s, zv.sh.rand)
		return
	}
	if i := zv.find(alias(m)); i >= 0 {
		if zv.small[i].s == s {
			return
		}
		zv.small = append(zv.small[:i], zv.small[i+1:]...)
	} else {
		zv.grew = true
	}
	if s == 0 {
		s = 0 // a listpack stores -0 as the integer 0
	}
	e := zent{m: alias(m), s: s}
	i := sort.Search(len(zv.small), func(i int) bool { return !zless(zv.small[i].s, zv.small[i].m, s, e.m) })
	zv.small = append(zv.small, zent{})
	copy(zv.small[i+1:], zv.small[i:])
	zv.small[i] = e
	zv.dirty = true
}

func (o *zsetLarge) insert(m string, s float64, rnd func() uint64) {
	lv := o.sl.insert(s, m, rnd)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(s))
	o.dict.put(unsafe.Slice(unsafe.StringData(m), len(m)), b[:]) // copied in
	o.bytes += nodeBytes(m, lv)
}

// del removes m and reports whether it was there.
func (zv *zsetv) del(m []byte) bool {
	if zv.large != nil {
		o := zv.large
		cur, ok := o.score(m)
		if !ok {
			return false
		}
		o.remove(m, cur)
		o.dict.del(m)
		return true
	}
	i := zv.find(alias(m))
	if i < 0 {
		return false
	}
	zv.small = append(zv.small[:i], zv.small[i+1:]...)
	zv.dirty = true
	return true
}

// rank returns m's 0-based rank in ascending order.
func (zv *zsetv) rank(m []byte) (int, float64, bool) {
	s, ok := zv.score(m)
	if !ok {
		return 0, 0, false
	}
	if zv.large != nil {
		return zv.large.sl.rankOf(s, alias(m)), s, true
	}
	return zv.find(alias(m)), s, true
}

// countBefore returns how many entries satisfy before, which must hold
// for a prefix of the order.
func (zv *zsetv) countBefore(before func(s float64, m string) bool) int {
	if zv.large != nil {
		return zv.large.sl.countBefore(before)
	}
	return sort.Search(len(zv.small), func(i int) bool { return !before(zv.small[i].s, zv.small[i].m) })
}

// walk calls fn for the entries from rank start (0 <= start < len),
// ascending or, when rev, descending, until fn returns false.
func (zv *zsetv) walk(start int, rev bool, fn func(e zent) bool) {
	if zv.large == nil {
		for i := start; i >= 0 && i < len(zv.small); {
			if !fn(zv.small[i]) {
				return
			}
			if rev {
				i--
			} else {
				i++
			}
		}
		return
	}
	zv.large.sl.walk(start, rev, func(n *znode) bool { return fn(zent{m: n.member, s: n.score}) })
}

// entries returns copies of every entry in ascending order.
func (zv *zsetv) entries() []ZEntry {
	out := make([]ZEntry, 0, zv.len())
	if zv.len() > 0 {
		zv.walk(0, false, func(e zent) bool { out = append(out, ZEntry{Member: []byte(e.m), Score: e.s}); return true })
	}
	return out
}

// commit writes a changed sorted set back: deletes an empty one, converts
// one that outgrew its encoding, rewrites a small one, accounts a large
// one.
func (zv *zsetv) commit() error {
	sh := zv.sh
	if zv.len() == 0 {
		if zv.exists {
			sh.deleteKey(zv.slot, zv.h, zv.key, zv.loc)
		}
		return nil
	}
	if zv.large != nil {
		if zv.exists {
			r := sh.arena.rec(zv.loc)
			sh.syncObj(r)
			sh.touch(r, zv.now)
			return nil
		}
		return sh.putHandle(zv.slot, zv.h, zv.key, KindZSet, zv.large, zv.now)
	}
	if !zv.dirty {
		if zv.exists {
			sh.touch(sh.arena.rec(zv.loc), zv.now)
		}
		return nil
	}
	if zv.grew && zv.outgrewSmall(sh.s.limits()) {
		o := newZsetLarge(len(zv.small))
		for _, e := range zv.small {
			o.insert(strings.Clone(e.m), e.s, sh.rand)
		}
		return sh.putHandle(zv.slot, zv.h, zv.key, KindZSet, o, zv.now)
	}
	sh.enc = sh.enc[:0]
	for _, e := range zv.small {
		sh.enc = appendZent(sh.enc, e)
	}
	return sh.putKind(zv.slot, zv.h, zv.key, sh.enc, zv.loc, zv.exists, KindZSet, encSmall, zv.now)
}

func (zv *zsetv) outgrewSmall(lim Limits) bool {
	if len(zv.small) > lim.ZSetEntries {
		return true
	}
	for _, e := range zv.small {
		if len(e.m) > lim.ZSetValue {
			return true
		}
	}
	return false
}

// zsetEncoding is OBJECT ENCODING's name for a sorted set record.
func zsetEncoding(r rec) string {
	if r.enc() == encLarge {
		return "skiplist"
	}
	return "listpack"
}

// zsetValue serializes a sorted set for an Entry (the small format).
func (zv *zsetv) value() []byte {
	var b []byte
	if zv.len() > 0 {
		zv.walk(0, false, func(e zent) bool { b = appendZent(b, e); return true })
	}
	return b
}

func (sh *shard) importZSet(slot int, key, b []byte) error {
	es, ok := decodeZSet(nil, b)
	if !ok {
		return errBadEntry
	}
	zv, err := sh.loadZSet(slot, key)
	if err != nil {
		return err
	}
	for _, e := range es {
		if math.IsNaN(e.s) {
			return errBadEntry
		}
		zv.put([]byte(e.m), e.s)
	}
	return zv.commit()
}
