package store

import "slices"

// Hashes. A small hash (at most HashMaxListpackEntries fields, each field
// and value at most HashMaxListpackValue bytes) is a flat entry list in
// its record; a larger one converts, once and for good as in Redis, to a
// hashLarge in the object table. Field deadlines (HEXPIRE) are on the
// store's clock; a due field is invisible and is deleted when the hash is
// next loaded or by the active expiry cycle (hash_ttl.go).

// hashLarge is the large hash encoding: the fields in a flatTable, the
// deadlines of the fields that have one in a map.
type hashLarge struct {
	t        *flatTable
	ttl      map[string]int64 // nil if no field has a deadline
	minDL    int64            // <= every deadline in ttl (0 when ttl is empty)
	ttlBytes int64
}

// ttlEntryBytes: a ttl map entry (string header, int64, control byte at
// ~2/3 load) plus the field's string.
func ttlEntryBytes(f string) int64 { return 40 + strBytes(len(f)) }

func newHashLarge(hint int) *hashLarge { return &hashLarge{t: newFlatTable(true, hint)} }

func (o *hashLarge) memBytes() int64 { return o.t.memBytes() + o.ttlBytes + 64 }

// hashv is a hash loaded for one operation under the shard lock: either
// small (decoded entries aliasing the record, in the shard's scratch) or
// large. A missing key loads as an empty small hash; commit writes back.
type hashv struct {
	sh     *shard
	slot   int
	h      uint64
	key    []byte
	loc    uint64
	exists bool
	now    int64
	small  []hent
	large  *hashLarge
	dirty  bool // small entries changed, or fields expired
}

// loadHash loads key's hash, dropping due fields (ErrWrongType for
// another kind).
func (sh *shard) loadHash(slot int, key []byte) (hashv, error) {
	now := sh.s.now()
	h, loc, ok, err := sh.findKind(slot, key, KindHash, now)
	hv := hashv{sh: sh, slot: slot, h: h, key: key, loc: loc, exists: ok, now: now}
	if err != nil || !ok {
		hv.small = sh.hents[:0]
		return hv, err
	}
	r := sh.arena.rec(loc)
	if r.enc() == encLarge {
		hv.large = sh.obj(r).(*hashLarge)
		if hv.large.minDL != 0 && hv.large.minDL <= now {
			hv.dirty = sh.expireFields(hv.large, now, -1) > 0
		}
		return hv, nil
	}
	hv.small, _ = decodeHash(sh.hents[:0], r.val())
	n := 0
	for _, e := range hv.small {
		if e.dl == 0 || e.dl > now {
			hv.small[n] = e
			n++
		}
	}
	hv.dirty = n < len(hv.small)
	hv.small = hv.small[:n]
	return hv, nil
}

func (hv *hashv) len() int {
	if hv.large != nil {
		return hv.large.t.len()
	}
	return len(hv.small)
}

// find returns the index of field f in a small hash, or -1.
func (hv *hashv) find(f []byte) int {
	for i := range hv.small {
		if string(hv.small[i].f) == string(f) {
			return i
		}
	}
	return -1
}

// get returns field f's value and deadline.
func (hv *hashv) get(f []byte) ([]byte, int64, bool) {
	if o := hv.large; o != nil {
		v, ok := o.t.get(f)
		if !ok {
			return nil, 0, false
		}
		return v, o.ttl[string(f)], true
	}
	if i := hv.find(f); i >= 0 {
		return hv.small[i].v, hv.small[i].dl, true
	}
	return nil, 0, false
}

// set writes f=v (keepTTL keeps a field deadline, else it is cleared, as
// HSET does in Redis 7.4) and reports whether f is new. v may alias the
// hash's own storage only for a small hash (commit copies).
func (hv *hashv) set(f, v []byte, keepTTL bool) bool {
	if o := hv.large; o != nil {
		added := o.t.put(f, v)
		if !added && !keepTTL && o.ttl != nil {
			o.dropTTL(string(f))
		}
		return added
	}
	hv.dirty = true
	if i := hv.find(f); i >= 0 {
		hv.small[i].v = v
		if !keepTTL {
			hv.small[i].dl = 0
		}
		return false
	}
	hv.small = append(hv.small, hent{f: f, v: v})
	return true
}

// del deletes field f and reports whether it was there.
func (hv *hashv) del(f []byte) bool {
	if o := hv.large; o != nil {
		had := o.t.del(f)
		if had && o.ttl != nil {
			o.dropTTL(string(f))
		}
		return had
	}
	if i := hv.find(f); i >= 0 {
		hv.small = append(hv.small[:i], hv.small[i+1:]...)
		hv.dirty = true
		return true
	}
	return false
}

// each calls fn for every field until it returns false.
func (hv *hashv) each(fn func(f, v []byte, dl int64) bool) {
	if o := hv.large; o != nil {
		o.t.each(func(f, v []byte) bool { return fn(f, v, o.ttl[string(f)]) })
		return
	}
	for _, e := range hv.small {
		if !fn(e.f, e.v, e.dl) {
			return
		}
	}
}

// needsLarge reports whether a small hash outgrew the small encoding.
func (hv *hashv) needsLarge() bool {
	lim := hv.sh.s.limits()
	if len(hv.small) > lim.HashEntries {
		return true
	}
	for _, e := range hv.small {
		if len(e.f) > lim.HashValue || len(e.v) > lim.HashValue {
			return true
		}
	}
	return false
}

// commit writes a changed hash back: deletes an empty one, rewrites a
// small one, converting it to the large encoding when it outgrew it, and
// accounts a large one's growth.
func (hv *hashv) commit() error {
	sh := hv.sh
	hv.sh.hents = hv.small[:0] // keep the grown scratch
	if hv.len() == 0 {
		if hv.exists {
			sh.deleteKey(hv.slot, hv.h, hv.key, hv.loc)
		}
		return nil
	}
	if o := hv.large; o != nil {
		if hv.exists {
			r := sh.arena.rec(hv.loc)
			sh.syncObj(r)
			sh.touch(r, hv.now)
			return nil
		}
		return sh.putHandle(hv.slot, hv.h, hv.key, KindHash, o, hv.now)
	}
	if !hv.dirty {
		if hv.exists {
			sh.touch(sh.arena.rec(hv.loc), hv.now)
		}
		return nil
	}
	if hv.needsLarge() {
		o := newHashLarge(len(hv.small))
		for _, e := range hv.small {
			large := hashv{sh: sh, large: o}
			large.set(e.f, e.v, false)
			if e.dl != 0 {
				o.setTTL(string(e.f), e.dl)
			}
		}
		return sh.putHandle(hv.slot, hv.h, hv.key, KindHash, o, hv.now)
	}
	sh.enc = encodeHash(sh.enc[:0], hv.small)
	return sh.putKind(hv.slot, hv.h, hv.key, sh.enc, hv.loc, hv.exists, KindHash, encSmall, hv.now)
}

func (sh *shard) hashEncoding(r rec) string {
	if r.enc() == encLarge {
		return "hashtable"
	}
	es, _ := decodeHash(sh.hents[:0], r.val())
	for _, e := range es {
		if e.dl != 0 {
			return "listpackex"
		}
	}
	return "listpack"
}

// setTTL sets field f's deadline (f is in m).
func (o *hashLarge) setTTL(f string, dl int64) {
	if o.ttl == nil {
		o.ttl = make(map[string]int64)
	}
	if _, had := o.ttl[f]; !had {
		o.ttlBytes += ttlEntryBytes(f)
	}
	o.ttl[f] = dl
	if o.minDL == 0 || dl < o.minDL {
		o.minDL = dl
	}
}

// dropTTL removes field f's deadline, if any.
func (o *hashLarge) dropTTL(f string) {
	if _, had := o.ttl[f]; had {
		delete(o.ttl, f)
		o.ttlBytes -= ttlEntryBytes(f)
		if len(o.ttl) == 0 {
			o.ttl, o.minDL = nil, 0
		}
	}
}

// detach copies a small hash's entries out of the record, so a write in
// the shard cannot change them while they are still read.
func (hv *hashv) detach() {
	for i, e := range hv.small {
		hv.small[i].f, hv.small[i].v = slices.Clone(e.f), slices.Clone(e.v)
	}
}
