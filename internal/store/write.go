package store

// put stores val for key with deadline d (0 = none); loc/exists describe
// the current record. A value that fits the record's capacity is written in
// place; otherwise a new record of capacity max(valCap, len(val)) is
// appended and the old one becomes garbage.
func (sh *shard) put(slot int, h uint64, key, val []byte, loc uint64, exists bool, d, now int64, valCap int) error {
	if int64(len(val)) > sh.s.cfg.MaxValueSize {
		return ErrMaxSize
	}
	if exists {
		r := sh.arena.rec(loc)
		sh.dropValue(r) // a string replaces a value of any kind (SET)
		if c := r.valCap(); len(val) <= c && c <= 2*len(val)+32 {
			copy(r.valBuf(), val)
			r.setValLen(len(val))
			r.setRaw(false)
			sh.setDeadline(r, slot, h, d)
			sh.touch(r, now)
			return nil
		}
	}
	valCap = max(valCap, len(val))
	size := recSize(len(key), valCap)
	if err := sh.reserve(size, slot, h); err != nil {
		return err
	}
	loc, exists = sh.lookup(h, key) // eviction may have moved records
	newLoc, buf := sh.arena.alloc(size, sh.s.chunkSize(), &sh.s.mem)
	writeRecord(buf, slot, key, val, valCap, 0, sh.initAccess(now))
	r := rec(buf)
	if exists {
		old := sh.arena.rec(loc)
		r.setAccess(old.access())
		r.setDeadline(old.deadline())
		sh.relink(slot, h, key, loc, newLoc)
		sh.arena.kill(loc, &sh.s.mem)
	} else {
		sh.insert(slot, h, key, newLoc)
	}
	sh.setDeadline(r, slot, h, d)
	sh.touch(r, now)
	sh.maybeCompact()
	return nil
}

// growCap is the capacity reserved when a value grows (APPEND, SETRANGE):
// doubling up to 1 MiB, then +1 MiB, like Redis's sds.
func growCap(n int) int {
	if n < 1<<20 {
		return 2 * n
	}
	return n + 1<<20
}

// deleteKey removes a live key.
func (sh *shard) deleteKey(slot int, h uint64, key []byte, loc uint64) {
	sh.remove(slot, h, key, loc)
	sh.maybeCompact()
}
