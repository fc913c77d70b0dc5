package store

import "time"

// Hand-off support (cacheserver/handoff*.go): a node that gained a slot
// copies it from the previous owner in cursor batches, hottest keys of each
// batch first, installs only keys it does not hold (its own writes win),
// and reads single keys through on a miss.

// entryOf copies a record as an Entry with its remaining TTL.
func entryOf(r rec, now int64) Entry {
	e := Entry{Key: append([]byte(nil), r.key()...), Value: append([]byte(nil), r.val()...)}
	if d := r.deadline(); d != 0 {
		e.TTL = time.Duration(d - now)
	}
	return e
}

// heat is how hot a record is: its LFU counter (decayed) under an LFU
// policy, else its LRU clock (more recent is hotter). Comparable only
// between records of one store under one policy.
func (sh *shard) heat(r rec, now int64) uint32 {
	if Policy(sh.s.mem.policy.Load()).lfu() {
		return uint32(lfuDecayed(r.access(), now))
	}
	return r.access()
}

// ExportBatch returns copies of about count live entries of slot from
// cursor (0 = start), each with its heat (higher is hotter), and the next
// cursor (0 = done). The slot's lock is held for this batch only.
func (s *Store) ExportBatch(slot int, cursor uint64, count int) (ents []Entry, heat []uint32, next uint64) {
	if slot < 0 || slot >= slotCount || cursor > posMask {
		return nil, nil, 0
	}
	sh := s.shardOf(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := s.now()
	next = sh.batch(slot, cursor, count, now, func(r rec) {
		ents = append(ents, entryOf(r, now))
		heat = append(heat, sh.heat(r, now))
	})
	return ents, heat, next
}

// Lookup returns a copy of key's live entry without counting a hit or
// touching it.
func (s *Store) Lookup(key []byte) (Entry, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	now := s.now()
	_, loc, ok := sh.find(slot, key, now)
	if !ok {
		return Entry{}, false
	}
	return entryOf(sh.arena.rec(loc), now), true
}

// Contains reports whether key is live, without counting a hit or
// touching it.
func (s *Store) Contains(key []byte) bool {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	_, _, ok := sh.find(slot, key, s.now())
	return ok
}

// ImportMissing stores e like Import but only when its key is absent, and
// reports whether it did.
func (s *Store) ImportMissing(e Entry) (bool, error) {
	if e.TTL < 0 {
		return false, nil
	}
	_, _, ok, err := s.Set(nil, e.Key, e.Value, SetOptions{Cond: SetNX, TTL: e.TTL})
	return ok, err
}

// SlotsWithKeys reports, per slot, whether it holds keys (expired ones
// not yet purged included).
func (s *Store) SlotsWithKeys() []bool {
	out := make([]bool, slotCount)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for j, c := range sh.counts {
			out[sh.first+j] = c > 0
		}
		sh.mu.Unlock()
	}
	return out
}
