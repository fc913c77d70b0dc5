package store

import (
	"github.com/ringcache/ringcache/internal/rstrconv"

	"strconv"
	"time"
)

// The shard-level operations. The caller holds sh.mu and slot belongs to sh.

func (sh *shard) get(slot int, dst, key []byte, touch bool) ([]byte, bool) {
	now := sh.s.now()
	_, loc, ok := sh.findString(slot, key, now)
	if touch {
		if ok {
			sh.hits++
		} else {
			sh.misses++
		}
	}
	if !ok {
		return dst, false
	}
	r := sh.arena.rec(loc)
	if touch {
		sh.touch(r, now)
	}
	return append(dst, r.val()...), true
}

func (sh *shard) set(slot int, dst, key, val []byte, o SetOptions) ([]byte, bool, bool, error) {
	now := sh.s.now()
	h, loc, exists := sh.find(slot, key, now)
	if o.Get && exists && sh.arena.rec(loc).kind() != KindString {
		return dst, true, false, ErrWrongType
	}
	if o.Get && exists {
		dst = append(dst, sh.arena.rec(loc).val()...)
	}
	if o.Cond == SetNX && exists || o.Cond == SetXX && !exists {
		return dst, exists, false, nil
	}
	var d int64
	switch {
	case o.KeepTTL && exists:
		d = sh.arena.rec(loc).deadline()
	case o.TTL < 0:
		if exists {
			sh.deleteKey(slot, h, key, loc)
		}
		return dst, exists, true, nil
	case o.TTL > 0:
		d = deadlineAfter(now, o.TTL)
	}
	if err := sh.put(slot, h, key, val, loc, exists, d, now, 0); err != nil {
		return dst, exists, false, err
	}
	return dst, exists, true, nil
}

func (sh *shard) getDel(slot int, dst, key []byte) ([]byte, bool) {
	h, loc, ok := sh.findString(slot, key, sh.s.now())
	if !ok {
		return dst, false
	}
	dst = append(dst, sh.arena.rec(loc).val()...)
	sh.deleteKey(slot, h, key, loc)
	return dst, true
}

func (sh *shard) getEx(slot int, dst, key []byte, ttl time.Duration, persist, setTTL bool) ([]byte, bool) {
	now := sh.s.now()
	h, loc, ok := sh.findString(slot, key, now)
	if !ok {
		return dst, false
	}
	r := sh.arena.rec(loc)
	sh.touch(r, now)
	dst = append(dst, r.val()...)
	switch {
	case setTTL && ttl <= 0:
		sh.deleteKey(slot, h, key, loc)
	case setTTL:
		sh.setDeadline(r, slot, h, deadlineAfter(now, ttl))
	case persist:
		sh.setDeadline(r, slot, h, 0)
	}
	return dst, true
}

func (sh *shard) del(slot int, key []byte) bool {
	h, loc, ok := sh.find(slot, key, sh.s.now())
	if ok {
		sh.deleteKey(slot, h, key, loc)
	}
	return ok
}

func (sh *shard) exists(slot int, key []byte, touch bool) bool {
	now := sh.s.now()
	_, loc, ok := sh.find(slot, key, now)
	if ok && touch {
		sh.touch(sh.arena.rec(loc), now)
	}
	return ok
}

func (sh *shard) expire(slot int, key []byte, ttl time.Duration, cond ExpireCond) bool {
	now := sh.s.now()
	h, loc, ok := sh.find(slot, key, now)
	if !ok {
		return false
	}
	r := sh.arena.rec(loc)
	cur, d := r.deadline(), deadlineAfter(now, ttl)
	switch cond {
	case ExpireNX:
		ok = cur == 0
	case ExpireXX:
		ok = cur != 0
	case ExpireGT:
		ok = cur != 0 && d > cur
	case ExpireLT:
		ok = cur == 0 || d < cur
	}
	switch {
	case !ok:
	case ttl <= 0:
		sh.deleteKey(slot, h, key, loc)
	default:
		sh.setDeadline(r, slot, h, d)
	}
	return ok
}

func (sh *shard) persist(slot int, key []byte) bool {
	h, loc, ok := sh.find(slot, key, sh.s.now())
	if !ok {
		return false
	}
	r := sh.arena.rec(loc)
	if r.deadline() == 0 {
		return false
	}
	sh.setDeadline(r, slot, h, 0)
	return true
}

func (sh *shard) ttl(slot int, key []byte) (time.Duration, TTLState) {
	now := sh.s.now()
	_, loc, ok := sh.find(slot, key, now)
	if !ok {
		return 0, NoKey
	}
	d := sh.arena.rec(loc).deadline()
	if d == 0 {
		return 0, NoTTL
	}
	return time.Duration(d - now), HasTTL
}

func (sh *shard) incrBy(slot int, key []byte, delta int64) (int64, error) {
	now := sh.s.now()
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != KindString {
		return 0, ErrWrongType
	}
	var cur int64
	if ok {
		v, good := rstrconv.ParseInt(sh.arena.rec(loc).val())
		if !good {
			return 0, ErrNotInteger
		}
		cur = v
	}
	if delta > 0 && cur > maxInt64-delta || delta < 0 && cur < minInt64-delta {
		return 0, ErrOverflow
	}
	cur += delta
	var buf [20]byte
	val := strconv.AppendInt(buf[:0], cur, 10)
	var d int64
	if ok {
		d = sh.arena.rec(loc).deadline()
	}
	return cur, sh.put(slot, h, key, val, loc, ok, d, now, 0)
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

func (sh *shard) incrByFloat(slot int, dst, key []byte, delta float64) ([]byte, error) {
	now := sh.s.now()
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != KindString {
		return dst, ErrWrongType
	}
	var cur []byte
	var d int64
	if ok {
		r := sh.arena.rec(loc)
		cur, d = r.val(), r.deadline()
	}
	n := len(dst)
	dst, err := addFloat(dst, cur, delta)
	if err != nil {
		return dst[:n], err
	}
	return dst, sh.put(slot, h, key, dst[n:], loc, ok, d, now, 0)
}

func (sh *shard) appendVal(slot int, key, val []byte) (int, error) {
	now := sh.s.now()
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != KindString {
		return 0, ErrWrongType
	}
	if !ok {
		return len(val), sh.put(slot, h, key, val, 0, false, 0, now, 0)
	}
	r := sh.arena.rec(loc)
	n := r.valLen() + len(val)
	if int64(n) > sh.s.cfg.MaxValueSize {
		return 0, ErrMaxSize
	}
	if n <= r.valCap() {
		copy(r.valBuf()[r.valLen():], val)
		r.setValLen(n)
		r.setRaw(true)
		sh.touch(r, now)
		return n, nil
	}
	return n, sh.regrow(slot, h, key, n, func(v []byte) { copy(v[n-len(val):], val) }, now)
}

// regrow rewrites key's value with length n (growing capacity): the old
// value is copied, zero-padded, then edit changes it.
func (sh *shard) regrow(slot int, h uint64, key []byte, n int, edit func([]byte), now int64) error {
	size := recSize(len(key), growCap(n))
	if err := sh.reserve(size, slot, h); err != nil {
		return err
	}
	loc, _ := sh.lookup(h, key)
	old := sh.arena.rec(loc)
	newLoc, buf := sh.arena.alloc(size, sh.s.chunkSize(), &sh.s.mem)
	writeRecord(buf, slot, key, old.val(), growCap(n), old.deadline(), old.access())
	r := rec(buf)
	r.setValLen(n)
	r.setRaw(true) // APPEND and SETRANGE: Redis's encoding raw
	v := r.val()
	clear(v[old.valLen():])
	edit(v)
	sh.relink(slot, h, key, loc, newLoc)
	sh.arena.kill(loc, &sh.s.mem)
	sh.touch(r, now)
	sh.maybeCompact()
	return nil
}

func (sh *shard) strLen(slot int, key []byte) int {
	_, loc, ok := sh.findString(slot, key, sh.s.now())
	if !ok {
		return 0
	}
	return sh.arena.rec(loc).valLen()
}

func (sh *shard) getRange(slot int, dst, key []byte, start, end int64) []byte {
	_, loc, ok := sh.findString(slot, key, sh.s.now())
	if !ok {
		return dst
	}
	v := sh.arena.rec(loc).val()
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return dst
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return dst
	}
	return append(dst, v[start:end+1]...)
}

func (sh *shard) setRange(slot int, key []byte, off int64, val []byte) (int, error) {
	now := sh.s.now()
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != KindString {
		return 0, ErrWrongType
	}
	cur := 0
	if ok {
		cur = sh.arena.rec(loc).valLen()
	}
	if len(val) == 0 {
		return cur, nil
	}
	if off < 0 || off > sh.s.cfg.MaxValueSize-int64(len(val)) { // no overflow of off+len
		return 0, ErrMaxSize
	}
	n := max(cur, int(off)+len(val))
	if !ok {
		buf := make([]byte, n)
		copy(buf[off:], val)
		if err := sh.put(slot, h, key, buf, 0, false, 0, now, 0); err != nil {
			return 0, err
		}
		if loc, ok := sh.lookup(h, key); ok { // a new value is raw too in Redis
			sh.arena.rec(loc).setRaw(true)
		}
		return n, nil
	}
	r := sh.arena.rec(loc)
	if n <= r.valCap() {
		v := r.valBuf()[:n]
		clear(v[cur:])
		copy(v[off:], val)
		r.setValLen(n)
		r.setRaw(true)
		sh.touch(r, now)
		return n, nil
	}
	return n, sh.regrow(slot, h, key, n, func(v []byte) { copy(v[off:], val) }, now)
}

func (sh *shard) modify(slot int, key []byte, fn func([]byte, bool) ([]byte, bool)) error {
	now := sh.s.now()
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != KindString {
		return ErrWrongType
	}
	var old []byte
	var d int64
	if ok {
		r := sh.arena.rec(loc)
		old, d = r.val(), r.deadline()
	}
	val, write := fn(old, ok)
	if !write {
		return nil
	}
	if len(val) > 0 && ok && overlaps(val, sh.arena.rec(loc)) {
		val = append([]byte(nil), val...)
	}
	return sh.put(slot, h, key, val, loc, ok, d, now, 0)
}

func overlaps(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := &a[0], &b[0]
	a1, b1 := &a[len(a)-1], &b[len(b)-1]
	return !(ptrLess(a1, b0) || ptrLess(b1, a0))
}

// findString is find for the string reads that return no error: a key of
// another kind reads as missing (the server then asks Type for WRONGTYPE).
func (sh *shard) findString(slot int, key []byte, now int64) (uint64, uint64, bool) {
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != KindString {
		return h, 0, false
	}
	return h, loc, ok
}
