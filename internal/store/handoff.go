package store

// Hand-off support (cacheserver/handoff*.go): a node that gained a slot
// copies it from the previous owner in cursor batches, hottest keys of each
// batch first, installs only keys it does not hold (its own writes win),
// and reads single keys through on a miss.

// heat is how hot a record is: its LFU counter (decayed) under an LFU
// policy, else its LRU clock (more recent is hotter). Comparable only
// between records of one store under one policy.
func (sh *shard) heat(r rec, now int64) uint32 {
	if Policy(sh.s.mem.policy.Load()).lfu() {
		return uint32(lfuDecayed(r.access(), now))
	}
	return r.access()
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
	return sh.entryOf(sh.arena.rec(loc), now), true // any kind (entry.go)
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
	return s.ImportNX(e) // any kind (entry.go)
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

// ExportSlots returns copies of every live entry of slots, grouped by
// slot in the order given, each with its heat, walking each shard once
// (rather than once per slot). It stops after the first slot that brings
// the total of keys and values to maxBytes or more, and returns how many
// of slots it covered (0 only when slots is empty).
func (s *Store) ExportSlots(slots []int, maxBytes int) (ents []Entry, heat []uint32, covered int) {
	want := map[int]int{} // slot -> position in slots
	for i, sl := range slots {
		if sl >= 0 && sl < slotCount {
			want[sl] = i
		}
	}
	type item struct {
		e Entry
		h uint32
	}
	got := make([][]item, len(slots))
	done := map[int]bool{}
	for _, sl := range slots {
		if sl < 0 || sl >= slotCount || done[s.shardIndex(sl)] {
			continue
		}
		done[s.shardIndex(sl)] = true
		sh := s.shardOf(sl)
		sh.mu.Lock()
		now := s.now()
		sh.each(-1, func(_, loc uint64) {
			r := sh.arena.rec(loc)
			if i, ok := want[r.slot()]; ok && !expired(r, now) {
				got[i] = append(got[i], item{sh.entryOf(r, now), sh.heat(r, now)})
			}
		})
		sh.mu.Unlock()
	}
	size := 0
	for covered < len(slots) && (covered == 0 || size < maxBytes) {
		for _, it := range got[covered] {
			ents, heat = append(ents, it.e), append(heat, it.h)
			size += len(it.e.Key) + len(it.e.Value)
		}
		covered++
	}
	return ents, heat, covered
}
