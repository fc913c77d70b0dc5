package store

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/ringcache/ringcache/internal/rstrconv"
)

// Sets. Three encodings, converting one way as Redis 7.2 does: an intset
// (sorted int64s, 8 bytes each, in the record) while every member is an
// integer in canonical form and there are at most SetIntEntries; a
// listpack-like member list in the record while there are at most
// SetEntries members of at most SetValue bytes; else a setLarge in the
// object table.

// setLarge is the large set encoding: the members in a flatTable.
type setLarge struct{ t *flatTable }

func (o *setLarge) memBytes() int64 { return o.t.memBytes() + 16 }

// setv is a set loaded for one operation under the shard lock.
type setv struct {
	sh     *shard
	slot   int
	h      uint64
	key    []byte
	loc    uint64
	exists bool
	now    int64
	enc    int      // encSmall, encInts or encLarge
	ints   []int64  // encInts
	small  [][]byte // encSmall (aliasing the record until detached)
	large  *setLarge
	dirty  bool
}

// loadSet loads key's set (ErrWrongType for another kind); a missing key
// loads as an empty intset. scratch says whether the shard's scratch
// slices may be used (one set per operation).
func (sh *shard) loadSet(slot int, key []byte, scratch bool) (setv, error) {
	now := sh.s.now()
	h, loc, ok, err := sh.findKind(slot, key, KindSet, now)
	sv := setv{sh: sh, slot: slot, h: h, key: key, loc: loc, exists: ok, now: now, enc: encInts}
	if scratch {
		sv.ints, sv.small = sh.ints[:0], sh.mems[:0]
	}
	if err != nil || !ok {
		return sv, err
	}
	r := sh.arena.rec(loc)
	switch sv.enc = r.enc(); sv.enc {
	case encLarge:
		sv.large = sh.obj(r).(*setLarge)
	case encInts:
		v := r.val()
		for i := 0; i+8 <= len(v); i += 8 {
			sv.ints = append(sv.ints, int64(binary.LittleEndian.Uint64(v[i:])))
		}
	default:
		sv.small, _ = decodeMembers(sv.small, r.val())
	}
	return sv, nil
}

func (sv *setv) len() int {
	switch sv.enc {
	case encLarge:
		return sv.large.t.len()
	case encInts:
		return len(sv.ints)
	}
	return len(sv.small)
}

// canonInt parses m as an intset member: an integer in canonical form.
func canonInt(m []byte) (int64, bool) {
	if len(m) == 0 || len(m) > 20 {
		return 0, false
	}
	return rstrconv.ParseInt(m)
}

func (sv *setv) has(m []byte) bool {
	switch sv.enc {
	case encLarge:
		return sv.large.t.has(m)
	case encInts:
		n, ok := canonInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(sv.ints, n)
		return found
	}
	for _, x := range sv.small {
		if string(x) == string(m) {
			return true
		}
	}
	return false
}

// add adds m and reports whether it is new.
func (sv *setv) add(m []byte) bool {
	switch sv.enc {
	case encLarge:
		return sv.large.t.put(m, nil)
	case encInts:
		if n, ok := canonInt(m); ok {
			i, found := slices.BinarySearch(sv.ints, n)
			if found {
				return false
			}
			sv.ints = slices.Insert(sv.ints, i, n)
			sv.dirty = true
			return true
		}
		sv.toSmall()
	}
	if sv.has(m) {
		return false
	}
	sv.small = append(sv.small, m)
	sv.dirty = true
	return true
}

// toSmall turns an intset into a member list.
func (sv *setv) toSmall() {
	for _, n := range sv.ints {
		sv.small = append(sv.small, strconv.AppendInt(nil, n, 10))
	}
	sv.ints, sv.enc, sv.dirty = sv.ints[:0], encSmall, true
}

// rem removes m and reports whether it was there.
func (sv *setv) rem(m []byte) bool {
	switch sv.enc {
	case encLarge:
		return sv.large.t.del(m)
	case encInts:
		n, ok := canonInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(sv.ints, n)
		if found {
			sv.ints = slices.Delete(sv.ints, i, i+1)
			sv.dirty = true
		}
		return found
	}
	for i, x := range sv.small {
		if string(x) == string(m) {
			sv.small = slices.Delete(sv.small, i, i+1)
			sv.dirty = true
			return true
		}
	}
	return false
}

// each calls fn for every member until it returns false; members of an
// intset are formatted into a transient buffer.
func (sv *setv) each(fn func(m []byte) bool) {
	switch sv.enc {
	case encLarge:
		sv.large.t.each(func(m, _ []byte) bool { return fn(m) })
	case encInts:
		var buf [20]byte
		for _, n := range sv.ints {
			if !fn(strconv.AppendInt(buf[:0], n, 10)) {
				return
			}
		}
	default:
		for _, m := range sv.small {
			if !fn(m) {
				return
			}
		}
	}
}

// members returns copies of every member.
func (sv *setv) members() [][]byte {
	out := make([][]byte, 0, sv.len())
	sv.each(func(m []byte) bool { out = append(out, slices.Clone(m)); return true })
	return out
}

// detach copies the members of a small set out of the record, so another
// write in the shard cannot change them before commit.
func (sv *setv) detach() {
	for i, m := range sv.small {
		sv.small[i] = slices.Clone(m)
	}
}

// commit writes a changed set back: deletes an empty one, converts one
// that outgrew its encoding, rewrites a small one, accounts a large one.
func (sv *setv) commit() error {
	sh := sv.sh
	if sv.ints != nil && cap(sv.ints) > cap(sh.ints) {
		sh.ints = sv.ints[:0]
	}
	if sv.len() == 0 {
		if sv.exists {
			sh.deleteKey(sv.slot, sv.h, sv.key, sv.loc)
		}
		return nil
	}
	if sv.enc == encLarge {
		if sv.exists {
			r := sh.arena.rec(sv.loc)
			sh.syncObj(r)
			sh.touch(r, sv.now)
			return nil
		}
		return sh.putHandle(sv.slot, sv.h, sv.key, KindSet, sv.large, sv.now)
	}
	if !sv.dirty {
		if sv.exists {
			sh.touch(sh.arena.rec(sv.loc), sv.now)
		}
		return nil
	}
	lim := sh.s.limits()
	if sv.enc == encInts && len(sv.ints) > lim.SetIntEntries {
		if len(sv.ints) > lim.SetEntries {
			return sv.toLarge()
		}
		sv.toSmall()
	}
	if sv.enc == encSmall && sv.outgrewSmall(lim) {
		return sv.toLarge()
	}
	sh.enc = sh.enc[:0]
	if sv.enc == encInts {
		for _, n := range sv.ints {
			sh.enc = binary.LittleEndian.AppendUint64(sh.enc, uint64(n))
		}
	} else {
		for _, m := range sv.small {
			sh.enc = lpAppend(sh.enc, m)
		}
	}
	return sh.putKind(sv.slot, sv.h, sv.key, sh.enc, sv.loc, sv.exists, KindSet, sv.enc, sv.now)
}

func (sv *setv) outgrewSmall(lim Limits) bool {
	if len(sv.small) > lim.SetEntries {
		return true
	}
	for _, m := range sv.small {
		if len(m) > lim.SetValue {
			return true
		}
	}
	return false
}

func (sv *setv) toLarge() error {
	o := &setLarge{t: newFlatTable(false, sv.len())}
	sv.each(func(m []byte) bool { o.t.put(m, nil); return true })
	return sv.sh.putHandle(sv.slot, sv.h, sv.key, KindSet, o, sv.now)
}
