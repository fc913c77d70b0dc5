package store

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// Export, import and copy of keys of every kind. An Entry's Value is the
// string itself for KindString; for the other kinds it is a flat
// serialization independent of the encoding and of the store's clock:
//
//	KindHash: per field: uvarint len, field, uvarint len, value, uvarint
//	          remaining field TTL in ns (0 = none)
//	KindSet:  per member: uvarint len, member
//	KindZSet: per member in score order: uvarint len, member, 8-byte
//	          little-endian IEEE 754 score
//	KindList: per element, front to back: uvarint len, element
//
// so ExportSlot/Import (warm hand-off, replication) carry every kind.

var errBadEntry = errors.New("store: malformed entry value")

// entryOf builds the Entry (copies) of the live record r.
func (sh *shard) entryOf(r rec, now int64) Entry {
	e := Entry{Key: slices.Clone(r.key()), Kind: r.kind()}
	if d := r.deadline(); d != 0 {
		e.TTL = time.Duration(d - now)
	}
	switch e.Kind {
	case KindHash:
		hv, _ := sh.loadHash(r.slot(), r.key())
		if hv.dirty { // due fields: drop them for good first
			hv.detach()
			_ = hv.commit()
		}
		var b []byte
		hv.each(func(f, v []byte, dl int64) bool {
			b = lpAppend(lpAppend(b, f), v)
			if dl != 0 {
				dl = max(dl-now, 1)
			}
			b = binary.AppendUvarint(b, uint64(dl))
			return true
		})
		sh.hents = hv.small[:0]
		e.Value = b
	case KindSet:
		sv, _ := sh.loadSet(r.slot(), r.key(), false)
		var b []byte
		sv.each(func(m []byte) bool { b = lpAppend(b, m); return true })
		e.Value = b
	case KindZSet:
		zv, _ := sh.loadZSet(r.slot(), r.key())
		e.Value = zv.value()
	case KindList:
		e.Value = sh.exportList(r)
	default:
		e.Value = slices.Clone(r.val())
	}
	return e
}

// ExportKey returns a copy of key's live entry, of any kind, with its
// remaining TTL, without counting a hit or touching it (replication and
// hand-off read-through send a key's current state this way).
func (s *Store) ExportKey(key []byte) (Entry, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	now := s.now()
	_, loc, ok := sh.find(slot, key, now)
	if !ok {
		return Entry{}, false
	}
	e := sh.entryOf(sh.arena.rec(loc), now)
	if e.Kind != KindString && len(e.Value) == 0 { // every field had expired: the hash is gone
		return Entry{}, false
	}
	return e, true
}

// ImportNX is Import only when e's key is absent (hand-off: the new
// owner's own writes win); it reports whether it stored e.
func (s *Store) ImportNX(e Entry) (bool, error) {
	if e.TTL < 0 || e.Kind >= kindMax {
		return false, nil
	}
	sh, slot := s.lock(e.Key)
	defer sh.mu.Unlock()
	if _, _, ok := sh.find(slot, e.Key, s.now()); ok {
		return false, nil
	}
	return true, sh.putEntry(slot, e)
}

// putEntry writes e as key (replacing any value) with its TTL, under the
// lock; TTL < 0 stores nothing.
func (sh *shard) putEntry(slot int, e Entry) error {
	if e.TTL < 0 {
		return nil
	}
	now := sh.s.now()
	if e.Kind == KindString {
		_, _, _, err := sh.set(slot, nil, e.Key, e.Value, SetOptions{TTL: e.TTL})
		return err
	}
	if h, loc, ok := sh.find(slot, e.Key, now); ok {
		sh.deleteKey(slot, h, e.Key, loc)
	}
	if err := sh.reserve(len(e.Value)*2+64, slot, sh.s.hash(e.Key)); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case KindHash:
		err = sh.importHash(slot, e.Key, e.Value, now)
	case KindSet:
		err = sh.importSet(slot, e.Key, e.Value)
	case KindZSet:
		err = sh.importZSet(slot, e.Key, e.Value)
	case KindList:
		err = sh.importList(slot, e.Key, e.Value)
	default:
		err = errBadEntry
	}
	if err != nil || e.TTL == 0 {
		return err
	}
	if h, loc, ok := sh.find(slot, e.Key, now); ok {
		sh.setDeadline(sh.arena.rec(loc), slot, h, deadlineAfter(now, e.TTL))
	}
	return nil
}

func (sh *shard) importHash(slot int, key, b []byte, now int64) error {
	es, ok := decodeHash(nil, b)
	if !ok {
		return errBadEntry
	}
	hv, err := sh.loadHash(slot, key)
	if err != nil {
		return err
	}
	hv.small = nil // not the scratch: es is decoded separately
	for _, e := range es {
		hv.set(e.f, e.v, false)
		if e.dl != 0 {
			hv.setDeadline(e.f, deadlineAfter(now, time.Duration(e.dl)))
		}
	}
	return hv.commit()
}

func (sh *shard) importSet(slot int, key, b []byte) error {
	ms, ok := decodeMembers(nil, b)
	if !ok {
		return errBadEntry
	}
	sv, err := sh.loadSet(slot, key, false)
	if err != nil {
		return err
	}
	for _, m := range ms {
		sv.add(m)
	}
	return sv.commit()
}

// Transfer copies src's value (any kind) and TTL to dst (same slot),
// overwriting dst only when overwrite, then deletes src when move
// (RENAME, RENAMENX, COPY). found is false when src is missing; done is
// false when dst exists and overwrite is not set. Moving a large value
// hands its object over without copying.
func (t TypeOps) Transfer(src, dst []byte, move, overwrite bool) (found, done bool, err error) {
	if e := t.ks.run(func(sh *shard, slot int) {
		now := sh.s.now()
		h, loc, ok := sh.find(slot, src, now)
		if found = ok; !ok || string(src) == string(dst) {
			done = ok // the same key: nothing to do
			return
		}
		if dh, dloc, ok := sh.find(slot, dst, now); ok {
			if !overwrite {
				return
			}
			sh.deleteKey(slot, dh, dst, dloc)
			h, loc, _ = sh.find(slot, src, now) // records may have moved
		}
		done = true
		r := sh.arena.rec(loc)
		if move && r.enc() == encLarge && r.kind() != KindString {
			err = sh.moveLarge(slot, h, loc, src, dst, now)
			return
		}
		e := sh.entryOf(r, now)
		e.Key = dst
		if r.deadline() != 0 {
			e.TTL = max(e.TTL, 1) // due now: expires at once, as in Redis
		}
		if err = sh.putEntry(slot, e); err == nil && move {
			if h, loc, ok := sh.find(slot, src, now); ok {
				sh.deleteKey(slot, h, src, loc)
			}
		}
	}, src, dst); e != nil {
		return false, false, e
	}
	return found, done, err
}

// moveLarge renames a large value: dst gets src's handle, TTL and access
// and src's record is deleted without freeing the object.
func (sh *shard) moveLarge(slot int, h, loc uint64, src, dst []byte, now int64) error {
	r := sh.arena.rec(loc)
	k, d, acc := r.kind(), r.deadline(), r.access()
	handle := slices.Clone(r.val())
	r.setKind(KindString, 0) // so the delete keeps the object
	sh.deleteKey(slot, h, src, loc)
	dh := sh.s.hash(dst)
	if err := sh.putKind(slot, dh, dst, handle, 0, false, k, encLarge, now); err != nil {
		sh.releaseHandle(le.Uint32(handle))
		return err
	}
	if loc, ok := sh.lookup(dh, dst); ok {
		r := sh.arena.rec(loc)
		r.setAccess(acc)
		sh.setDeadline(r, slot, dh, d)
	}
	if fd, had := sh.fttl[string(src)]; had {
		sh.forgetFieldTTL(string(src))
		sh.noteFieldTTL(dst, fd)
	}
	return nil
}
