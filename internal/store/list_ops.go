package store

import "slices"

// Lists are the list operations (part of Types); indexes are Redis's: a
// negative one counts from the back.
type Lists interface {
	LPush(key []byte, elems [][]byte, front, xx bool) (int, error)
	LPop(key []byte, front bool, count int) (out [][]byte, left int, exists bool, err error)
	LLen(key []byte) (int, error)
	LRange(key []byte, start, stop int64, fn func(n int, e []byte)) error
	LIndex(key []byte, i int64) ([]byte, bool, error)
	LSet(key []byte, i int64, v []byte) error
	LInsert(key []byte, after bool, pivot, v []byte) (int, error)
	LRem(key []byte, count int64, v []byte) (removed, left int, err error)
	LTrim(key []byte, start, stop int64) (left int, exists bool, err error)
	LPos(key, v []byte, rank, count, maxlen int64) ([]int64, bool, error)
	LMove(src, dst []byte, fromFront, toFront bool) (e []byte, ok bool, srcLeft int, err error)
	LMPop(keys [][]byte, front bool, count int) (key []byte, out [][]byte, left int, err error)
}

// ErrNoSuchKey and ErrIndexRange are LSET's errors.
var (
	ErrNoSuchKey  = errorString("ERR no such key")
	ErrIndexRange = errorString("ERR index out of range")
)

type errorString string

func (e errorString) Error() string { return string(e) }

// withList loads key's list under its lock, runs fn and commits (when fn
// succeeds). need > 0 first makes room for about need bytes.
func (t TypeOps) withList(key []byte, need int, fn func(lv *listv) error) error {
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		if need > 0 {
			if err = sh.reserve(need, slot, sh.s.hash(key)); err != nil {
				return
			}
		}
		var lv listv
		if lv, err = sh.loadList(slot, key, true); err != nil {
			return
		}
		if err = fn(&lv); err == nil {
			err = lv.commit()
		}
		sh.mems = lv.small[:0]
	}, key); e != nil {
		return e
	}
	return err
}

// LPush pushes elems one by one at the front (else the back) and returns
// the new length; xx (LPUSHX/RPUSHX) pushes only onto an existing list.
func (t TypeOps) LPush(key []byte, elems [][]byte, front, xx bool) (int, error) {
	n := 0
	err := t.withList(key, argBytes(elems)+48, func(lv *listv) error {
		if xx && !lv.exists {
			return nil
		}
		for _, e := range elems {
			lv.push(e, front)
		}
		n = lv.len()
		return nil
	})
	return n, err
}

// LPop pops up to count elements from the front (else the back): copies,
// the length left and whether the key existed.
func (t TypeOps) LPop(key []byte, front bool, count int) (out [][]byte, left int, exists bool, err error) {
	err = t.withList(key, 0, func(lv *listv) error {
		exists = lv.exists
		for len(out) < count && lv.len() > 0 {
			out = append(out, lv.pop(front))
		}
		left = lv.len()
		return nil
	})
	return out, left, exists, err
}

// LLen returns the length.
func (t TypeOps) LLen(key []byte) (int, error) {
	n := 0
	err := t.withList(key, 0, func(lv *listv) error { n = lv.len(); return nil })
	return n, err
}

// span clamps Redis's start/stop to [0, n): ok false for an empty range.
func span(start, stop int64, n int) (int, int, bool) {
	if start < 0 {
		start += int64(n)
	}
	if stop < 0 {
		stop += int64(n)
	}
	start = max(start, 0)
	if start > stop || start >= int64(n) {
		return 0, 0, false
	}
	return int(start), int(min(stop, int64(n)-1)), true
}

// LRange calls fn(count, e) for each element of start..stop (count is the
// number of elements in the range).
func (t TypeOps) LRange(key []byte, start, stop int64, fn func(n int, e []byte)) error {
	return t.withList(key, 0, func(lv *listv) error {
		a, b, ok := span(start, stop, lv.len())
		if !ok {
			return nil
		}
		lv.each(a, false, func(i int, e []byte) bool {
			fn(b-a+1, e)
			return i < b
		})
		return nil
	})
}

// norm turns a Redis index into a position, ok false when out of range.
func norm(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	return int(i), i >= 0 && i < int64(n)
}

// LIndex returns a copy of element i.
func (t TypeOps) LIndex(key []byte, i int64) ([]byte, bool, error) {
	var out []byte
	var found bool
	err := t.withList(key, 0, func(lv *listv) error {
		if j, ok := norm(i, lv.len()); ok {
			out, found = slices.Clone(lv.index(j)), true
		}
		return nil
	})
	return out, found, err
}

// LSet replaces element i.
func (t TypeOps) LSet(key []byte, i int64, v []byte) error {
	return t.withList(key, len(v)+48, func(lv *listv) error {
		if !lv.exists {
			return ErrNoSuchKey
		}
		j, ok := norm(i, lv.len())
		if !ok {
			return ErrIndexRange
		}
		lv.set(j, v)
		return nil
	})
}

// LInsert inserts v before (after when after) the first element equal to
// pivot: the new length, -1 when pivot is missing, 0 when the key is.
func (t TypeOps) LInsert(key []byte, after bool, pivot, v []byte) (int, error) {
	n := 0
	err := t.withList(key, len(v)+48, func(lv *listv) error {
		if !lv.exists {
			return nil
		}
		at := -1
		lv.each(0, false, func(i int, e []byte) bool {
			if string(e) == string(pivot) {
				at = i
			}
			return at < 0
		})
		if at < 0 {
			n = -1
			return nil
		}
		lv.insert(at, v, after)
		n = lv.len()
		return nil
	})
	return n, err
}

// LRem removes up to |count| elements equal to v (count 0: all; < 0
// from the back) and returns how many, and the length left.
func (t TypeOps) LRem(key []byte, count int64, v []byte) (removed, left int, err error) {
	err = t.withList(key, 0, func(lv *listv) error {
		c := min(max(count, -count), int64(lv.len()))
		removed = lv.remove(v, int(c), count >= 0)
		left = lv.len()
		return nil
	})
	return removed, left, err
}

// LTrim keeps start..stop (nothing when the range is empty) and returns
// the length left and whether the key existed.
func (t TypeOps) LTrim(key []byte, start, stop int64) (left int, exists bool, err error) {
	err = t.withList(key, 0, func(lv *listv) error {
		exists = lv.exists
		n := lv.len()
		a, b, ok := span(start, stop, n)
		if !ok {
			a, b = n, n-1
		}
		for k := 0; k < a; k++ {
			lv.pop(true)
		}
		for k := b + 1; k < n; k++ {
			lv.pop(false)
		}
		left = lv.len()
		return nil
	})
	return left, exists, err
}

// LPos returns the positions of elements equal to v, as LPOS: the rank-th
// match on (from the back when rank < 0), up to count of them (0: all),
// comparing at most maxlen elements (0: all); exists is false for a
// missing key.
func (t TypeOps) LPos(key, v []byte, rank, count, maxlen int64) ([]int64, bool, error) {
	var out []int64
	var exists bool
	err := t.withList(key, 0, func(lv *listv) error {
		n := lv.len()
		if exists = lv.exists; n == 0 {
			return nil
		}
		start, skip := 0, rank-1
		if rank < 0 {
			start, skip = n-1, -rank-1
		}
		seen := int64(0)
		lv.each(start, rank < 0, func(i int, e []byte) bool {
			if maxlen > 0 && seen >= maxlen {
				return false
			}
			seen++
			if string(e) == string(v) {
				if skip > 0 {
					skip--
				} else {
					out = append(out, int64(i))
				}
			}
			return count == 0 || int64(len(out)) < count
		})
		return nil
	})
	return out, exists, err
}

// LMove pops an element of src and pushes it onto dst (one slot):
// ok false when src is missing or empty; dst must be a list if src is not
// empty (ErrWrongType); srcLeft is src's length after.
func (t TypeOps) LMove(src, dst []byte, fromFront, toFront bool) (e []byte, ok bool, srcLeft int, err error) {
	if x := t.ks.run(func(sh *shard, slot int) {
		var from, to listv
		if from, err = sh.loadList(slot, src, false); err != nil || from.len() == 0 {
			return
		}
		if string(src) != string(dst) {
			if to, err = sh.loadList(slot, dst, false); err != nil {
				return
			}
		}
		if err = sh.reserve(len(from.index(0))+48, slot, sh.s.hash(dst)); err != nil {
			return
		}
		if from, err = sh.loadList(slot, src, false); err != nil { // reserve may have evicted
			return
		}
		if from.len() == 0 {
			return
		}
		e, ok = from.pop(fromFront), true
		if string(src) == string(dst) {
			from.push(e, toFront)
			srcLeft = from.len()
			err = from.commit()
			return
		}
		from.detach()
		srcLeft = from.len()
		if err = from.commit(); err != nil {
			return
		}
		if to, err = sh.loadList(slot, dst, false); err == nil { // from's commit may have moved records
			to.push(e, toFront)
			err = to.commit()
		}
	}, src, dst); x != nil {
		return nil, false, 0, x
	}
	return e, ok, srcLeft, err
}

// LMPop pops up to count elements of the first non-empty list of keys (one
// slot): its key (nil when none), the elements and the length left. A key
// of another kind before it gives ErrWrongType.
func (t TypeOps) LMPop(keys [][]byte, front bool, count int) (key []byte, out [][]byte, left int, err error) {
	if x := t.ks.run(func(sh *shard, slot int) {
		for _, k := range keys {
			var lv listv
			if lv, err = sh.loadList(slot, k, false); err != nil {
				return
			}
			if lv.len() == 0 {
				continue
			}
			for len(out) < count && lv.len() > 0 {
				out = append(out, lv.pop(front))
			}
			key, left, err = k, lv.len(), lv.commit()
			return
		}
	}, keys...); x != nil {
		return nil, nil, 0, x
	}
	return key, out, left, err
}

// exportList is the Entry value of the list r.
func (sh *shard) exportList(r rec) []byte {
	lv, _ := sh.loadList(r.slot(), r.key(), false)
	var b []byte
	if lv.len() > 0 {
		lv.each(0, false, func(_ int, e []byte) bool { b = lpAppend(b, e); return true })
	}
	return b
}

func (sh *shard) importList(slot int, key, b []byte) error {
	es, ok := decodeMembers(nil, b)
	if !ok {
		return errBadEntry
	}
	lv, err := sh.loadList(slot, key, false)
	if err != nil {
		return err
	}
	for _, e := range es {
		lv.push(e, false)
	}
	return lv.commit()
}
