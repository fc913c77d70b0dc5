package store

import "unsafe"

// expEnt is one deadline in a shard's expiry heap. Entries go stale when a
// key's TTL changes or it is deleted; they are checked on pop and the heap
// is rebuilt when stale entries outnumber live ones.
type expEnt struct {
	at int64
	h  uint64
}

const expEntSize = int64(unsafe.Sizeof(expEnt{}))

// setDeadline changes a live record's deadline, keeping counters and heap.
func (sh *shard) setDeadline(r rec, slot int, h uint64, d int64) {
	old := r.deadline()
	if old == d {
		return
	}
	r.setDeadline(d)
	switch {
	case old == 0:
		sh.expires++
	case d == 0:
		sh.expires--
	}
	if d != 0 {
		sh.pushExp(expEnt{at: d, h: h})
	}
}

func (sh *shard) pushExp(e expEnt) {
	if len(sh.exp) >= int(sh.expires)*5/4+8 {
		sh.rebuildExp()
	}
	oldCap := cap(sh.exp)
	sh.exp = append(sh.exp, e)
	sh.up(len(sh.exp) - 1)
	if c := cap(sh.exp); c != oldCap {
		sh.s.mem.heap.Add(int64(c-oldCap) * expEntSize)
	}
}

func (sh *shard) up(i int) {
	h := sh.exp
	for i > 0 {
		p := (i - 1) / 2
		if h[p].at <= h[i].at {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (sh *shard) down(i int) {
	h := sh.exp
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].at < h[l].at {
			m = r
		}
		if h[i].at <= h[m].at {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (sh *shard) popExp() expEnt {
	h := sh.exp
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	sh.exp = h[:n]
	sh.down(0)
	return top
}

// liveExp returns the key, location and slot an entry still stands for.
func (sh *shard) liveExp(e expEnt) (key []byte, loc uint64, slot int, ok bool) {
	if v, ok := sh.m[e.h]; ok {
		loc, slot := unpack(v)
		if r := sh.arena.rec(loc); r.deadline() == e.at {
			return r.key(), loc, slot, true
		}
	}
	for k, v := range sh.over {
		loc, slot := unpack(v)
		if r := sh.arena.rec(loc); r.deadline() == e.at && sh.s.hash([]byte(k)) == e.h {
			return r.key(), loc, slot, true
		}
	}
	return nil, 0, 0, false
}

// rebuildExp drops stale entries and shrinks the heap's array.
func (sh *shard) rebuildExp() {
	keep := make([]expEnt, 0, int(sh.expires)*9/8+8)
	for _, e := range sh.exp {
		if _, _, _, ok := sh.liveExp(e); ok {
			keep = append(keep, e)
		}
	}
	sh.s.mem.heap.Add(int64(cap(keep)-cap(sh.exp)) * expEntSize)
	sh.exp = keep
	for i := len(keep)/2 - 1; i >= 0; i-- {
		sh.down(i)
	}
}

// purge deletes up to limit due keys and returns how many it deleted.
func (sh *shard) purge(now int64, limit int) int {
	n := 0
	for len(sh.exp) > 0 && sh.exp[0].at <= now && n < limit {
		e := sh.popExp()
		key, loc, slot, ok := sh.liveExp(e)
		if !ok {
			continue
		}
		sh.notify(key, RemovedExpired)
		sh.remove(slot, e.h, key, loc)
		sh.expired++
		n++
	}
	if n > 0 {
		sh.maybeCompact()
	}
	return n
}

// expireCycleLimit bounds the keys one shard expires per active cycle.
const expireCycleLimit = 1000

// ExpireCycle runs one active-expiry cycle: in each shard it deletes due
// keys, at most 1000 per shard, and returns how many it deleted. Deadlines
// are kept ordered, so no sampling is needed and nothing due is skipped.
func (s *Store) ExpireCycle() int {
	now, n := s.now(), 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.purge(now, expireCycleLimit)
		sh.expireHashFields(now, expireCycleLimit)
		sh.mu.Unlock()
	}
	return n
}

// purgeAll deletes every due key of the shard (caller holds the lock).
func (sh *shard) purgeAll(now int64) { sh.purge(now, int(^uint(0)>>1)) }
