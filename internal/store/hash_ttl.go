package store

import (
	"container/heap"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// Field TTLs (Redis 7.4's HEXPIRE family). A field's deadline is on the
// store's monotonic clock, like a key's. A due field is invisible: every
// load drops due fields first (lazy expiry), and the active expiry cycle
// visits the hashes registered in the shard's fttl map (key -> a lower
// bound of its earliest field deadline) whose bound is due, in deadline
// order from the fexp heap, at most expireCycleLimit per shard and cycle. A hash whose last field expires is
// deleted, reported to OnRemove as RemovedExpired.

// HExpire results per field, as Redis 7.4 replies.
const (
	FieldMissing   = -2 // no such field (or no such key)
	FieldCondFail  = 0  // NX/XX/GT/LT not met
	FieldTTLSet    = 1  // deadline set
	FieldDeleted   = 2  // ttl <= 0: the field was deleted
	FieldNoTTL     = -1 // HPERSIST/HTTL: the field has no deadline
	FieldPersisted = 1  // HPERSIST removed the deadline
)

// HExpire sets the deadline now+ttl on each of fields if cond holds (a
// field without one counts as an infinite TTL for GT/LT) and calls fn with
// each field's result; ttl <= 0 deletes the field.
func (t TypeOps) HExpire(key []byte, ttl time.Duration, cond ExpireCond, fields [][]byte, fn func(i, res int)) error {
	return t.withHash(key, 0, func(hv *hashv) error {
		d := deadlineAfter(hv.now, ttl)
		for i, f := range fields {
			_, cur, ok := hv.get(f)
			if !ok {
				fn(i, FieldMissing)
				continue
			}
			if !expireCondHolds(cond, cur, d) {
				fn(i, FieldCondFail)
				continue
			}
			if ttl <= 0 {
				hv.del(f)
				fn(i, FieldDeleted)
				continue
			}
			hv.setDeadline(f, d)
			fn(i, FieldTTLSet)
		}
		return nil
	})
}

func expireCondHolds(cond ExpireCond, cur, d int64) bool {
	switch cond {
	case ExpireNX:
		return cur == 0
	case ExpireXX:
		return cur != 0
	case ExpireGT:
		return cur != 0 && d > cur
	case ExpireLT:
		return cur == 0 || d < cur
	}
	return true
}

// setDeadline sets field f's deadline (f exists; 0 removes it) and
// registers the hash for active expiry.
func (hv *hashv) setDeadline(f []byte, d int64) {
	if o := hv.large; o != nil {
		if d == 0 {
			o.dropTTL(string(f))
		} else {
			o.setTTL(string(f), d)
		}
	} else if i := hv.find(f); i >= 0 {
		hv.small[i].dl = d
		hv.dirty = true
	}
	if d != 0 {
		hv.sh.noteFieldTTL(hv.key, d)
	}
}

// noteFieldTTL registers key (a hash with a field deadline d) for the
// active expiry cycle.
func (sh *shard) noteFieldTTL(key []byte, d int64) {
	if sh.fttl == nil {
		sh.fttl = make(map[string]int64)
	}
	cur, had := sh.fttl[string(key)]
	switch {
	case !had:
		k := string(key)
		sh.fttl[k] = d
		sh.pushFieldExp(k, d)
		sh.objMem += int64(len(key)) + 48
		sh.s.mem.objs.Add(int64(len(key)) + 48)
	case d < cur:
		sh.fttl[string(key)] = d
		sh.pushFieldExp(string(key), d)
	}
}

func (sh *shard) forgetFieldTTL(key string) {
	if _, had := sh.fttl[key]; had {
		delete(sh.fttl, key)
		sh.objMem -= int64(len(key)) + 48
		sh.s.mem.objs.Add(-int64(len(key)) - 48)
	}
	if len(sh.fttl) == 0 && sh.fexp != nil { // nothing registered: every heap entry is stale
		b := int64(cap(sh.fexp)) * fexpEntBytes
		sh.objMem -= b
		sh.s.mem.objs.Add(-b)
		sh.fexp = nil
	}
}

// HTTL calls fn with each field's remaining time to live: state NoKey
// (FieldMissing), NoTTL or HasTTL.
func (t TypeOps) HTTL(key []byte, fields [][]byte, fn func(i int, ttl time.Duration, st TTLState)) error {
	return t.withHash(key, 0, func(hv *hashv) error {
		for i, f := range fields {
			_, d, ok := hv.get(f)
			switch {
			case !ok:
				fn(i, 0, NoKey)
			case d == 0:
				fn(i, 0, NoTTL)
			default:
				fn(i, time.Duration(d-hv.now), HasTTL)
			}
		}
		return nil
	})
}

// HPersist removes the deadline of each of fields and calls fn with
// FieldMissing, FieldNoTTL or FieldPersisted.
func (t TypeOps) HPersist(key []byte, fields [][]byte, fn func(i, res int)) error {
	return t.withHash(key, 0, func(hv *hashv) error {
		for i, f := range fields {
			_, d, ok := hv.get(f)
			switch {
			case !ok:
				fn(i, FieldMissing)
			case d == 0:
				fn(i, FieldNoTTL)
			default:
				hv.setDeadline(f, 0)
				fn(i, FieldPersisted)
			}
		}
		return nil
	})
}

// expireFields deletes up to limit (< 0: all) due fields of a large hash
// and returns how many; it recomputes o.minDL when it saw every deadline.
func (sh *shard) expireFields(o *hashLarge, now int64, limit int) int {
	n, min := 0, int64(0)
	for f, d := range o.ttl {
		if d <= now && (limit < 0 || n < limit) {
			o.t.del([]byte(f))
			o.dropTTL(f)
			n++
			continue
		}
		if min == 0 || d < min {
			min = d
		}
	}
	if len(o.ttl) > 0 {
		o.minDL = min
	}
	return n
}

// expireHashFields is the active expiry of fields for one shard: it
// loads (and so purges) each registered hash whose earliest deadline is
// due, at most limit hashes, and returns how many fields it deleted.
func (sh *shard) expireHashFields(now int64, limit int) int {
	n := 0
	for visited := 0; len(sh.fexp) > 0 && sh.fexp[0].at <= now && visited < limit; {
		e := heap.Pop((*fexpHeap)(&sh.fexp)).(fexpEnt)
		if d, ok := sh.fttl[e.key]; !ok || d != e.at {
			continue // stale: the hash is gone or got an earlier deadline
		}
		visited++
		n += sh.expireHashNow(e.key, now)
	}
	return n
}

// expireHashNow purges the due fields of the registered hash k and
// re-registers its next deadline.
func (sh *shard) expireHashNow(k string, now int64) int {
	key := []byte(k)
	slot := ring.KeySlotBytes(key)
	_, loc, ok := sh.find(slot, key, now)
	if !ok || sh.arena.rec(loc).kind() != KindHash {
		sh.forgetFieldTTL(k)
		return 0
	}
	before := sh.rawLen(loc)
	hv, _ := sh.loadHash(slot, key)
	after := hv.len()
	next := hv.nextDeadline()
	if hv.dirty {
		if after == 0 {
			sh.notify(key, RemovedExpired)
			sh.expired++
		}
		_ = hv.commit()
	} else {
		sh.hents = hv.small[:0]
	}
	if next == 0 || after == 0 {
		sh.forgetFieldTTL(k)
	} else {
		sh.fttl[k] = next
		sh.pushFieldExp(k, next)
	}
	return before - after
}

// fexpEnt is one entry of the field-expiry heap: stale once fttl[key]
// differs from at.
type fexpEnt struct {
	at  int64
	key string
}

type fexpHeap []fexpEnt

func (h fexpHeap) Len() int           { return len(h) }
func (h fexpHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h fexpHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fexpHeap) Push(x any)        { *h = append(*h, x.(fexpEnt)) }
func (h *fexpHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

const fexpEntBytes = 24

// pushFieldExp adds a deadline to the heap, first dropping stale entries
// when they outnumber the registered hashes.
func (sh *shard) pushFieldExp(k string, d int64) {
	if len(sh.fexp) > 2*len(sh.fttl)+64 {
		keep := sh.fexp[:0]
		for _, e := range sh.fexp {
			if at, ok := sh.fttl[e.key]; ok && at == e.at {
				keep = append(keep, e)
			}
		}
		clear(sh.fexp[len(keep):])
		sh.fexp = keep
		heap.Init((*fexpHeap)(&sh.fexp))
	}
	oldCap := cap(sh.fexp)
	heap.Push((*fexpHeap)(&sh.fexp), fexpEnt{at: d, key: k})
	if c := cap(sh.fexp); c != oldCap {
		sh.objMem += int64(c-oldCap) * fexpEntBytes
		sh.s.mem.objs.Add(int64(c-oldCap) * fexpEntBytes)
	}
}

// rawLen is the number of fields of the hash at loc, due ones included.
func (sh *shard) rawLen(loc uint64) int {
	r := sh.arena.rec(loc)
	if r.enc() == encLarge {
		return sh.obj(r).(*hashLarge).t.len()
	}
	es, _ := decodeHash(sh.hents[:0], r.val())
	sh.hents = es[:0]
	return len(es)
}

// nextDeadline is the earliest field deadline of a loaded hash (0: none).
func (hv *hashv) nextDeadline() int64 {
	if hv.large != nil {
		return hv.large.minDL
	}
	var min int64
	for _, e := range hv.small {
		if e.dl != 0 && (min == 0 || e.dl < min) {
			min = e.dl
		}
	}
	return min
}
