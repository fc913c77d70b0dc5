package store

// The eviction pool approximates LRU/LFU like Redis: each eviction samples
// five keys of the shard into a pool of the sixteen best candidates seen,
// then evicts the best one that still exists.

const (
	poolSize    = 16
	poolSamples = 5
)

type poolEnt struct {
	h     uint64
	score uint64 // higher = evict first
	slot  uint32
}

type evictPool struct {
	n   int
	ent [poolSize]poolEnt
}

func (p *evictPool) add(e poolEnt) {
	if p.n < poolSize {
		p.ent[p.n] = e
		p.n++
		return
	}
	worst := 0
	for i := 1; i < p.n; i++ {
		if p.ent[i].score < p.ent[worst].score {
			worst = i
		}
	}
	if e.score > p.ent[worst].score {
		p.ent[worst] = e
	}
}

// takeBest removes and returns the best entry.
func (p *evictPool) takeBest() (poolEnt, bool) {
	if p.n == 0 {
		return poolEnt{}, false
	}
	best := 0
	for i := 1; i < p.n; i++ {
		if p.ent[i].score > p.ent[best].score {
			best = i
		}
	}
	e := p.ent[best]
	p.n--
	p.ent[best] = p.ent[p.n]
	return e, true
}

// evictLocal evicts one key of this shard under the current policy.
func (sh *shard) evictLocal(pslot int, ph uint64) bool {
	if sh.keys == 0 {
		return false
	}
	p := Policy(sh.s.mem.policy.Load())
	now := sh.s.now()
	switch p {
	case VolatileTTL:
		return sh.evictSoonest(now, pslot, ph)
	case AllKeysRandom, VolatileRandom:
		return sh.evictRandom(p, pslot, ph)
	}
	for i := 0; i < poolSamples; i++ {
		if slot, h, loc, ok := sh.sample(p.volatile()); ok && !(slot == pslot && h == ph) {
			sh.pool.add(poolEnt{h: h, slot: uint32(slot), score: sh.score(p, sh.arena.rec(loc), now)})
		}
	}
	for {
		e, ok := sh.pool.takeBest()
		if !ok {
			return false
		}
		if sh.evictEntry(e.h, p.volatile(), pslot, ph) {
			return true
		}
	}
}

func (sh *shard) score(p Policy, r rec, now int64) uint64 {
	if p.lfu() {
		return 255 - uint64(lfuDecayed(r.access(), now))
	}
	return uint64(lruClock(now) - r.access())
}

// evictEntry evicts the main-index key with hash h if it still qualifies.
func (sh *shard) evictEntry(h uint64, volatile bool, pslot int, ph uint64) bool {
	v, ok := sh.m[h]
	if !ok {
		return false
	}
	loc, slot := unpack(v)
	if slot == pslot && h == ph {
		return false
	}
	r := sh.arena.rec(loc)
	if volatile && r.deadline() == 0 {
		return false
	}
	sh.notify(r.key(), RemovedEvicted)
	sh.remove(slot, h, r.key(), loc)
	sh.evicted++
	return true
}

// sample returns a random main-index key of the shard (with a TTL if
// volatile): its slot, hash and location.
func (sh *shard) sample(volatile bool) (int, uint64, uint64, bool) {
	if volatile {
		for try := 0; try < 8 && len(sh.exp) > 0; try++ {
			e := sh.exp[sh.rand()%uint64(len(sh.exp))]
			if _, loc, slot, ok := sh.liveExp(e); ok && sh.m[e.h] == pack(loc, slot) {
				return slot, e.h, loc, true
			}
		}
		return 0, 0, 0, false
	}
	for h, v := range sh.m { // map iteration starts at a random place
		loc, slot := unpack(v)
		return slot, h, loc, true
	}
	return 0, 0, 0, false
}

func (sh *shard) evictRandom(p Policy, pslot int, ph uint64) bool {
	for try := 0; try < 8; try++ {
		_, h, _, ok := sh.sample(p.volatile())
		if ok && sh.evictEntry(h, p.volatile(), pslot, ph) {
			return true
		}
	}
	return false
}

// evictSoonest evicts the key with a TTL that expires first (exact).
func (sh *shard) evictSoonest(now int64, pslot int, ph uint64) bool {
	var skipped []expEnt
	defer func() {
		for _, e := range skipped {
			sh.pushExp(e)
		}
	}()
	for len(sh.exp) > 0 {
		e := sh.popExp()
		key, loc, slot, ok := sh.liveExp(e)
		if !ok {
			continue
		}
		if slot == pslot && e.h == ph {
			skipped = append(skipped, e)
			continue
		}
		reason := RemovedEvicted
		if e.at <= now {
			reason = RemovedExpired
		}
		sh.notify(key, reason)
		sh.remove(slot, e.h, key, loc)
		if reason == RemovedExpired {
			sh.expired++
		} else {
			sh.evicted++
		}
		return true
	}
	return false
}
