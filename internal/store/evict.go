package store

// Memory: used = arena chunks held (live records, dead records, open chunk
// tails, one spare chunk per shard) + an index estimate per key + expiry
// heaps + a fixed overhead. A write that needs n new bytes first evicts
// until used+n <= maxmemory.

// maybeCompact relocates the live records of the chunk with the most dead
// bytes when the shard's dead bytes exceed 1/8 of its arena.
func (sh *shard) maybeCompact() {
	a := &sh.arena
	if a.dead*8 <= a.bytes || a.dead < int64(sh.s.chunkSize()/2) {
		return
	}
	if v := a.victim(); v >= 0 {
		sh.compact(v)
	}
}

// compact moves the live records of chunk idx to the active chunk and
// releases idx.
func (sh *shard) compact(idx int) {
	a := &sh.arena
	c := a.chunks[idx]
	cs := sh.s.chunkSize()
	for off := 0; off < c.recs; {
		r := rec(c.buf[off:])
		size := r.size()
		if !r.dead() {
			old := uint64(idx)<<32 | uint64(off)
			loc, buf := a.alloc(size, cs, &sh.s.mem)
			copy(buf, c.buf[off:off+size])
			key := r.key()
			sh.relink(r.slot(), sh.s.hash(key), key, old, loc)
			r.setDead()
			a.chunks[idx].dead += size
			a.dead += int64(size)
			a.live -= int64(size)
		}
		off += size
	}
	a.compactions++
	if a.chunks[idx].buf != nil {
		a.release(idx, &sh.s.mem)
	}
}

// reserve makes room for need more bytes, evicting under the policy. sh is
// the shard whose lock the caller holds; protect is the slot/hash of the
// key being written (never evicted). As Redis, which checks maxmemory
// before a command and never against its size, a write that finds the
// budget not yet exceeded goes through even when no eviction can make room
// for it (noeviction, or nothing left to evict); only a write that finds
// memory already over the budget fails with ErrOOM.
func (sh *shard) reserve(need int, pslot int, ph uint64) error {
	s := sh.s
	max := s.mem.max.Load()
	if max == 0 || need <= 0 {
		return nil
	}
	for tries := 0; s.mem.used()+int64(need) > max; tries++ {
		if Policy(s.mem.policy.Load()) == NoEviction || tries > 1<<16 || !s.evictOne(sh, pslot, ph) {
			if s.mem.used() > max {
				return ErrOOM
			}
			return nil
		}
	}
	return nil
}

// evictOne evicts one key from a random shard (other shards are only
// try-locked, since the caller holds held's lock); false if nothing could
// be evicted anywhere.
func (s *Store) evictOne(held *shard, pslot int, ph uint64) bool {
	n := len(s.shards)
	start := int(held.rand() % uint64(n))
	for i := 0; i < n; i++ {
		sh := &s.shards[(start+i)%n]
		if sh != held {
			if !sh.mu.TryLock() {
				continue
			}
		}
		ok := sh.evictLocal(pslot, ph)
		if ok {
			sh.maybeCompact()
		}
		if sh != held {
			sh.mu.Unlock()
		}
		if ok {
			return true
		}
	}
	// Everything else was busy or empty: compact what we hold if that
	// frees memory.
	before := s.mem.used()
	if v := held.arena.victim(); v >= 0 {
		held.compact(v)
	}
	return s.mem.used() < before
}
