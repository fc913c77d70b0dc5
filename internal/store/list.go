package store

import "slices"

// Lists. Two encodings, as Redis 7.2: a listpack-like element list flat in
// the record while the list fits one node of list-max-listpack-size
// (Limits.ListSize); else a listLarge (quicklist-like chunked deque) in the
// object table. A large list that shrinks to one node of half the limit
// converts back, as Redis's listTypeTryConvertQuicklist does.

// listv is a list loaded for one operation under the shard lock.
type listv struct {
	sh     *shard
	slot   int
	h      uint64
	key    []byte
	loc    uint64
	exists bool
	now    int64
	small  [][]byte // small encoding (aliasing the record until detached)
	large  *listLarge
	fill   listFill
	dirty  bool
	grew   bool // an element was added (no conversion back, as Redis)
	fresh  bool // large was made in this operation (from the small encoding)
}

// loadList loads key's list (ErrWrongType for another kind); a missing key
// loads as an empty small list. scratch says whether the shard's scratch
// slice may be used (one list per operation).
func (sh *shard) loadList(slot int, key []byte, scratch bool) (listv, error) {
	now := sh.s.now()
	h, loc, ok, err := sh.findKind(slot, key, KindList, now)
	lv := listv{sh: sh, slot: slot, h: h, key: key, loc: loc, exists: ok, now: now,
		fill: fillOf(sh.s.limits().ListSize)}
	if scratch {
		lv.small = sh.mems[:0]
	}
	if err != nil || !ok {
		return lv, err
	}
	r := sh.arena.rec(loc)
	if r.enc() == encLarge {
		lv.large = sh.obj(r).(*listLarge)
		return lv, nil
	}
	lv.small, _ = decodeMembers(lv.small, r.val())
	return lv, nil
}

func (lv *listv) len() int {
	if lv.large != nil {
		return lv.large.n
	}
	return len(lv.small)
}

// push adds e at the front or back.
func (lv *listv) push(e []byte, front bool) {
	lv.dirty, lv.grew = true, true
	switch {
	case lv.large != nil:
		lv.large.push(e, front, lv.fill)
	case front:
		lv.small = slices.Insert(lv.small, 0, e)
	default:
		lv.small = append(lv.small, e)
	}
}

// pop removes the front or back element and returns a copy (the list must
// not be empty).
func (lv *listv) pop(front bool) []byte {
	lv.dirty = true
	if lv.large != nil {
		return lv.large.pop(front)
	}
	var e []byte
	if front {
		e, lv.small = lv.small[0], lv.small[1:]
	} else {
		e, lv.small = lv.small[len(lv.small)-1], lv.small[:len(lv.small)-1]
	}
	return slices.Clone(e)
}

// index returns element i, 0 <= i < len (aliasing the value).
func (lv *listv) index(i int) []byte {
	if lv.large != nil {
		return lv.large.index(i)
	}
	return lv.small[i]
}

// editAt calls fn with the elements of the part holding element i (the
// whole small list, or i's chunk) and i's index in it; fn returns the
// part's new elements.
func (lv *listv) editAt(i int, fn func(es [][]byte, j int) [][]byte) {
	lv.dirty = true
	if lv.large == nil {
		lv.small = fn(lv.small, i)
		return
	}
	ci, j := lv.large.locate(i)
	es := lv.large.chunks()[ci].elems(lv.sh.mems[:0])
	lv.large.replaceChunk(ci, fn(es, j), lv.fill)
	lv.sh.mems = es[:0]
}

// set replaces element i by v. A small list converts first if it could
// not take v as one more element (Redis's conservative LSET check).
func (lv *listv) set(i int, v []byte) {
	if lv.large == nil && lv.fill.exceeds(smallBytes(lv.small)+entSize(len(v)), len(lv.small)+1) {
		lv.toLarge()
	}
	lv.editAt(i, func(es [][]byte, j int) [][]byte { es[j] = v; return es })
}

// insert puts v before element i (after it when after).
func (lv *listv) insert(i int, v []byte, after bool) {
	lv.grew = true
	lv.editAt(i, func(es [][]byte, j int) [][]byte {
		if after {
			j++
		}
		return slices.Insert(es, j, v)
	})
}

// each calls fn for the elements from start (0 <= start < len) towards the
// back, or towards the front when rev, until fn returns false; the
// elements alias the value.
func (lv *listv) each(start int, rev bool, fn func(i int, e []byte) bool) {
	if lv.large == nil {
		for i := start; i >= 0 && i < len(lv.small); i += step(rev) {
			if !fn(i, lv.small[i]) {
				return
			}
		}
		return
	}
	cs := lv.large.chunks()
	ci, j := lv.large.locate(start)
	i := start
	var es [][]byte
	for ; ci >= 0 && ci < len(cs); ci += step(rev) {
		if !rev { // walk the chunk in place: LRANGE reads a few of its elements
			b := cs[ci].live()
			for k := 0; len(b) > 0; k++ {
				e, sz := firstEnt(b)
				if b = b[sz:]; k < j {
					continue
				}
				if !fn(i, e) {
					return
				}
				i++
			}
			j = 0
			continue
		}
		es = cs[ci].elems(es[:0])
		if j < 0 {
			j = len(es) - 1
		}
		for ; j >= 0; j-- {
			if !fn(i, es[j]) {
				return
			}
			i--
		}
	}
}

func step(rev bool) int {
	if rev {
		return -1
	}
	return 1
}

// remove removes up to count elements equal to v (count 0: all), from
// the front when fromFront, and returns how many it removed.
func (lv *listv) remove(v []byte, count int, fromFront bool) int {
	removed := 0
	keep := func(es [][]byte) [][]byte {
		out := es[:0]
		if !fromFront {
			slices.Reverse(es)
		}
		for _, e := range es {
			if string(e) == string(v) && (count == 0 || removed < count) {
				removed++
				continue
			}
			out = append(out, e)
		}
		if !fromFront {
			slices.Reverse(out)
		}
		return out
	}
	if lv.large == nil {
		if n := len(lv.small); n > 0 {
			lv.small = keep(lv.small)
			lv.dirty = lv.dirty || removed > 0
		}
		return removed
	}
	cs := lv.large.chunks()
	for k := 0; k < len(cs) && (count == 0 || removed < count); k++ {
		ci := k
		if !fromFront {
			ci = len(cs) - 1 - k
		}
		before := removed
		es := keep(cs[ci].elems(lv.sh.mems[:0]))
		if removed > before {
			lv.dirty = true
			lv.large.replaceChunk(ci, es, lv.fill)
			cs = lv.large.chunks()
			if len(es) == 0 {
				k-- // the chunks after ci moved down one
			}
		}
		lv.sh.mems = es[:0]
	}
	return removed
}

// detach copies the elements of a small list out of the record, so
// another write in the shard cannot change them before commit.
func (lv *listv) detach() {
	for i, e := range lv.small {
		lv.small[i] = slices.Clone(e)
	}
}

// smallBytes is the packed size of es as one node.
func smallBytes(es [][]byte) int {
	n := 7 // a listpack's header and end byte
	for _, e := range es {
		n += entSize(len(e))
	}
	return n
}

// commit writes a changed list back: deletes an empty one, converts one
// that outgrew (or shrank back into) the small encoding, rewrites a small
// one, accounts a large one.
func (lv *listv) commit() error {
	sh := lv.sh
	if lv.len() == 0 {
		if lv.exists {
			sh.deleteKey(lv.slot, lv.h, lv.key, lv.loc)
		}
		return nil
	}
	if lv.large == nil && lv.dirty && lv.fill.exceeds(smallBytes(lv.small), len(lv.small)) {
		lv.toLarge()
	}
	switch {
	case lv.large == nil:
	case lv.fresh || !lv.exists:
		return sh.putHandle(lv.slot, lv.h, lv.key, KindList, lv.large, lv.now)
	case lv.dirty && !lv.grew && lv.shrankToOne():
		lv.small = lv.large.chunks()[0].elems(nil)
		lv.large = nil
		return lv.writeSmall()
	default:
		r := sh.arena.rec(lv.loc)
		sh.syncObj(r)
		sh.touch(r, lv.now)
		return nil
	}
	if !lv.dirty {
		if lv.exists {
			sh.touch(sh.arena.rec(lv.loc), lv.now)
		}
		return nil
	}
	return lv.writeSmall()
}

// shrankToOne reports whether a large list is one node of at most half
// the limit (Redis's listTypeTryConvertQuicklist).
func (lv *listv) shrankToOne() bool {
	cs := lv.large.chunks()
	return len(cs) == 1 && !lv.fill.exceeds(2*(len(cs[0].live())+7), 2*int(cs[0].n))
}

// toLarge moves a small list into a new large one.
func (lv *listv) toLarge() {
	o := &listLarge{}
	for _, e := range lv.small {
		o.push(e, false, lv.fill)
	}
	lv.large, lv.small, lv.fresh = o, lv.small[:0], true
}

func (lv *listv) writeSmall() error {
	sh := lv.sh
	enc := sh.enc[:0]
	for _, e := range lv.small {
		enc = lpAppend(enc, e)
	}
	sh.enc = enc
	return sh.putKind(lv.slot, lv.h, lv.key, enc, lv.loc, lv.exists, KindList, encSmall, lv.now)
}
