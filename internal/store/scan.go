package store

import "slices"

// Cursors order keys inside a shard by the top 50 bits of their hash, which
// no insert, delete or map growth changes: a batch returns the smallest
// positions >= the cursor and the next cursor is one past the largest, so
// every key present throughout a full iteration is returned. Scan's cursor
// is shard<<50 | position; SlotKeys's cursor is the position alone (only
// keys of that slot are counted).
const (
	posBits = 50
	posMask = 1<<posBits - 1
)

func ord(h uint64) uint64 { return h >> (64 - posBits) }

// batch calls fn for the live keys of slot (-1: all) with position in
// [from, upto], where upto is the position of the count-th such key; it
// returns the next cursor position, or 0 when the shard is finished.
func (sh *shard) batch(slot int, from uint64, count int, now int64, fn func(r rec)) uint64 {
	upto, more := sh.kth(slot, from, count, now)
	sh.each(slot, func(h, loc uint64) {
		if o := ord(h); o >= from && o <= upto {
			if r := sh.arena.rec(loc); !expired(r, now) {
				fn(r)
			}
		}
	})
	if !more || upto >= posMask {
		return 0
	}
	return upto + 1
}

func expired(r rec, now int64) bool { d := r.deadline(); return d != 0 && d <= now }

// kth returns the count-th smallest live position >= from (or posMask if
// there are fewer) and whether positions beyond it exist.
func (sh *shard) kth(slot int, from uint64, count int, now int64) (uint64, bool) {
	count = max(count, 1)
	var ords []uint64
	sh.each(slot, func(h, loc uint64) {
		if o := ord(h); o >= from && !expired(sh.arena.rec(loc), now) {
			ords = append(ords, o)
		}
	})
	if len(ords) <= count {
		return posMask, false
	}
	slices.Sort(ords)
	k := ords[count-1]
	return k, ords[len(ords)-1] > k
}

// each calls fn for every index entry of slot (-1: all), overflow keys
// with their hash.
func (sh *shard) each(slot int, fn func(h, loc uint64)) {
	for h, v := range sh.m {
		if loc, sl := unpack(v); slot < 0 || sl == slot {
			fn(h, loc)
		}
	}
	for k, v := range sh.over {
		if loc, sl := unpack(v); slot < 0 || sl == slot {
			fn(sh.s.hash([]byte(k)), loc)
		}
	}
}

// SlotKeys appends up to about count keys of slot to dst, starting at
// cursor (0 = start), and returns the next cursor (0 = done). Each call
// holds the slot's lock only for one batch.
func (s *Store) SlotKeys(slot int, cursor uint64, count int, dst [][]byte) ([][]byte, uint64) {
	if slot < 0 || slot >= slotCount || cursor > posMask {
		return dst, 0
	}
	sh := s.shardOf(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	next := sh.batch(slot, cursor, count, s.now(), func(r rec) {
		dst = append(dst, append([]byte(nil), r.key()...))
	})
	return dst, next
}

// Scan appends keys matching match (nil = all) to dst, visiting about count
// keys from cursor (0 = start), and returns the next cursor (0 = done).
// Every key present during a whole iteration is returned at least once.
func (s *Store) Scan(cursor uint64, match []byte, count int, dst [][]byte) ([][]byte, uint64) {
	count = max(count, 1)
	i, pos := int(cursor>>posBits), cursor&posMask
	for visited := 0; i < len(s.shards) && visited < count; i++ {
		sh := &s.shards[i]
		sh.mu.Lock()
		pos = sh.scanBatch(pos, count-visited, s.now(), func(r rec) {
			visited++
			if len(match) == 0 || Match(match, r.key(), false) {
				dst = append(dst, append([]byte(nil), r.key()...))
			}
		})
		sh.mu.Unlock()
		if pos != 0 {
			return dst, uint64(i)<<posBits | pos
		}
	}
	if i >= len(s.shards) {
		return dst, 0
	}
	return dst, uint64(i) << posBits
}

// scanBatch walks the shard in hash order using a sorted snapshot of its
// hashes, so a full scan costs O(n log n) rather than a pass per batch. A
// scan entering the shard (pos 0) takes a fresh snapshot; later batches use
// the current one, which was taken after their own iteration started, so
// it holds every key present since then. The snapshot is dropped when a
// scan finishes the shard.
func (sh *shard) scanBatch(pos uint64, count int, now int64, fn func(r rec)) uint64 {
	if pos == 0 || sh.snap == nil {
		sh.snap = sh.snap[:0]
		for h := range sh.m {
			sh.snap = append(sh.snap, h)
		}
		slices.Sort(sh.snap)
	}
	snap := sh.snap
	i, _ := slices.BinarySearch(snap, pos<<(64-posBits))
	j := min(i+count, len(snap))
	for j < len(snap) && j > 0 && ord(snap[j]) == ord(snap[j-1]) {
		j++
	}
	for _, h := range snap[i:j] {
		if v, ok := sh.m[h]; ok {
			if r := sh.arena.rec(v >> 14); !expired(r, now) {
				fn(r)
			}
		}
	}
	upto := uint64(posMask)
	if j < len(snap) {
		upto = ord(snap[j-1])
	}
	for _, v := range sh.over {
		if r := sh.arena.rec(v >> 14); !expired(r, now) {
			if o := ord(sh.s.hash(r.key())); o >= pos && o <= upto {
				fn(r)
			}
		}
	}
	if j >= len(snap) || j == 0 {
		sh.snap = nil
		return 0
	}
	return upto + 1
}

// CountKeysInSlot returns the number of live keys in slot.
func (s *Store) CountKeysInSlot(slot int) int {
	if slot < 0 || slot >= slotCount {
		return 0
	}
	sh := s.shardOf(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.purgeAll(s.now())
	return int(sh.counts[slot-sh.first])
}

// DropSlot deletes every key of slot and returns how many live keys it
// deleted.
func (s *Store) DropSlot(slot int) int {
	if slot < 0 || slot >= slotCount {
		return 0
	}
	sh := s.shardOf(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.dropSlots(func(sl int) bool { return sl == slot }, s.now())
}

// ExportSlot calls fn with batches of at most batch entries (copies, with
// remaining TTLs) of slot until the slot is done or fn returns false. The
// lock is held only while a batch is gathered, never while fn runs.
func (s *Store) ExportSlot(slot int, batch int, fn func([]Entry) bool) {
	if slot < 0 || slot >= slotCount {
		return
	}
	sh := s.shardOf(slot)
	for cursor := uint64(0); ; {
		var ents []Entry
		sh.mu.Lock()
		now := s.now()
		cursor = sh.batch(slot, cursor, batch, now, func(r rec) {
			if e := sh.entryOf(r, now); e.Kind == KindString || len(e.Value) > 0 {
				ents = append(ents, e)
			}
		})
		sh.mu.Unlock()
		if len(ents) > 0 && !fn(ents) || cursor == 0 {
			return
		}
	}
}

// Import stores e, of any kind, replacing the key's value (TTL 0 = none,
// < 0 = already expired: nothing is stored), respecting maxmemory (ErrOOM).
func (s *Store) Import(e Entry) error {
	if e.TTL < 0 {
		return nil
	}
	if e.Kind >= kindMax {
		return errBadEntry
	}
	sh, slot := s.lock(e.Key)
	defer sh.mu.Unlock()
	return sh.putEntry(slot, e)
}

// RandomKey appends a random live key to dst.
func (s *Store) RandomKey(dst []byte) ([]byte, bool) {
	n := len(s.shards)
	start := int(uint64(s.now()) % uint64(n))
	for i := 0; i < n; i++ {
		sh := &s.shards[(start+i)%n]
		sh.mu.Lock()
		sh.purgeAll(s.now())
		_, _, loc, ok := sh.sample(false)
		if ok {
			dst = append(dst, sh.arena.rec(loc).key()...)
		}
		sh.mu.Unlock()
		if ok {
			return dst, true
		}
	}
	return dst, false
}

// DropSlots deletes every key of the slots for which drop reports true and
// returns how many live keys it deleted. Each shard is walked at most once,
// and only when one of its chosen slots holds keys, so dropping thousands
// of slots after a ring change costs one pass over the affected shards.
func (s *Store) DropSlots(drop func(slot int) bool) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.dropSlots(drop, s.now())
		sh.mu.Unlock()
	}
	return n
}

func (sh *shard) dropSlots(drop func(slot int) bool, now int64) int {
	sh.purgeAll(now)
	chosen := make([]bool, len(sh.counts))
	n := 0
	for i, c := range sh.counts {
		if c > 0 && drop(sh.first+i) {
			chosen[i] = true
			n += int(c)
		}
	}
	if n == 0 {
		return 0
	}
	// Overflow entries first: removing a primary entry promotes an overflow
	// entry of the same hash into sh.m, which this range might then skip.
	for k, v := range sh.over {
		if loc, sl := unpack(v); chosen[sl-sh.first] {
			sh.remove(sl, sh.s.hash([]byte(k)), []byte(k), loc)
		}
	}
	for h, v := range sh.m {
		if loc, sl := unpack(v); chosen[sl-sh.first] {
			sh.remove(sl, h, sh.arena.rec(loc).key(), loc)
		}
	}
	for sh.arena.dead*8 > sh.arena.bytes && sh.arena.victim() >= 0 {
		sh.compact(sh.arena.victim())
	}
	return n
}
