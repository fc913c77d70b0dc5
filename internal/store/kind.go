package store

import (
	"errors"
	"unsafe"
)

// Kinds of value. A key's kind and encoding live in its record's flags, so
// every key, whatever its kind, is one arena record: the index, slot
// counts, TTL heap, eviction, scans, RENAME and export all see one shape.
// A small value (Redis's listpack/intset sizes) is a flat byte slice in the
// record itself; a large one lives in the shard's object table (a Go map
// behind a pointer, kept out of the pointer-free arena) and the record's
// value is its 4-byte handle. Large objects count their own bytes into
// memState.objs, which maxmemory and INFO used_memory include.
type Kind uint8

// The kinds.
const (
	KindString Kind = iota
	KindHash
	KindSet
	KindZSet
	KindList
	kindMax
)

// Valid reports whether k is a kind this store knows (for entries that
// arrive from another node).
func (k Kind) Valid() bool { return k < kindMax }

// String returns the name TYPE reports.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindHash:
		return "hash"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindList:
		return "list"
	}
	return "none"
}

// ErrWrongType is returned for an operation on a key of another kind; the
// server replies Redis's "WRONGTYPE Operation against a key holding the
// wrong kind of value".
var ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")

// Encodings of a non-string value (record flags bits 5-6).
const (
	encSmall = 0 // flat byte slice in the record (listpack-like)
	encInts  = 1 // sets of integers: sorted int64s in the record (intset)
	encLarge = 2 // object table handle
)

// Record flag bits beyond flagDead and flagRaw.
const (
	kindShift = 2
	kindMask  = 7 << kindShift
	encShift  = 5
	encMask   = 3 << encShift
)

func (r rec) kind() Kind { return Kind(le.Uint16(r[26:]) & kindMask >> kindShift) }
func (r rec) enc() int   { return int(le.Uint16(r[26:]) & encMask >> encShift) }

func (r rec) setKind(k Kind, enc int) {
	f := le.Uint16(r[26:]) &^ (kindMask | encMask | flagRaw)
	le.PutUint16(r[26:], f|uint16(k)<<kindShift|uint16(enc)<<encShift)
}

// object is a large value in a shard's object table. bytes is kept up to
// date by its operations (an estimate of what the Go heap holds for it).
type object interface{ memBytes() int64 }

// handle returns the object table index a large record holds.
func (r rec) handle() uint32 { return le.Uint32(r.val()) }

func (sh *shard) obj(r rec) object { return sh.objs[r.handle()] }

// newObj stores o in the object table and returns its handle.
func (sh *shard) newObj(o object) uint32 {
	var h uint32
	if n := len(sh.objFree); n > 0 {
		h = sh.objFree[n-1]
		sh.objFree = sh.objFree[:n-1]
		sh.objs[h], sh.objAcc[h] = o, 0
	} else {
		sh.objs, sh.objAcc = append(sh.objs, o), append(sh.objAcc, 0)
		h = uint32(len(sh.objs) - 1)
	}
	sh.syncHandle(h)
	return h
}

// syncObj accounts a change of r's large object's size.
func (sh *shard) syncObj(r rec) { sh.syncHandle(r.handle()) }

func (sh *shard) syncHandle(h uint32) {
	b := sh.objs[h].memBytes() + objSlotBytes
	sh.objMem += b - sh.objAcc[h]
	sh.s.mem.objs.Add(b - sh.objAcc[h])
	sh.objAcc[h] = b
}

// objSlotBytes is an object's table slot and struct overhead.
const objSlotBytes = int64(unsafe.Sizeof(object(nil))) + 64

// freeObj releases r's large object, if it has one, and makes r a string.
func (sh *shard) freeObj(r rec) {
	if r.kind() == KindString {
		return
	}
	if r.enc() == encLarge {
		sh.releaseHandle(r.handle())
	}
	r.setKind(KindString, 0)
}

// dropValue forgets r's value for good (the key is deleted or becomes a
// string): its object and its field-expiry registration.
func (sh *shard) dropValue(r rec) {
	if r.kind() == KindHash && sh.fttl != nil {
		sh.forgetFieldTTL(string(r.key()))
	}
	sh.freeObj(r)
}

func (sh *shard) releaseHandle(h uint32) {
	sh.objMem -= sh.objAcc[h]
	sh.s.mem.objs.Add(-sh.objAcc[h])
	sh.objs[h], sh.objAcc[h] = nil, 0
	sh.objFree = append(sh.objFree, h)
}

// dropObjs forgets every object (FlushAll).
func (sh *shard) dropObjs() {
	sh.s.mem.objs.Add(-sh.objMem)
	sh.objMem, sh.objs, sh.objAcc, sh.objFree = 0, nil, nil, nil
	sh.fttl, sh.fexp = nil, nil
}

// findKind finds a live key and checks its kind: ok false when missing,
// ErrWrongType when it holds another kind.
func (sh *shard) findKind(slot int, key []byte, k Kind, now int64) (uint64, uint64, bool, error) {
	h, loc, ok := sh.find(slot, key, now)
	if ok && sh.arena.rec(loc).kind() != k {
		return h, loc, true, ErrWrongType
	}
	return h, loc, ok, nil
}

// putKind writes val as key's value of kind k in encoding enc, keeping an
// existing key's TTL and access; a large value is val = its handle.
func (sh *shard) putKind(slot int, h uint64, key, val []byte, loc uint64, exists bool, k Kind, enc int, now int64) error {
	var d int64
	if exists {
		r := sh.arena.rec(loc)
		d = r.deadline()
		sh.freeObj(r) // the new value replaces the old one whole
	}
	if err := sh.put(slot, h, key, val, loc, exists, d, now, 0); err != nil {
		return err
	}
	loc, _ = sh.lookup(h, key)
	sh.arena.rec(loc).setKind(k, enc)
	return nil
}

// putHandle makes key's value the large object o (a new key or a
// conversion from a small encoding). It looks key up after reserving
// memory, which may evict.
func (sh *shard) putHandle(slot int, h uint64, key []byte, k Kind, o object, now int64) error {
	if err := sh.reserve(int(o.memBytes()), slot, h); err != nil {
		return err
	}
	loc, exists := sh.lookup(h, key)
	var b [4]byte
	hd := sh.newObj(o)
	le.PutUint32(b[:], hd)
	if err := sh.putKind(slot, h, key, b[:], loc, exists, k, encLarge, now); err != nil {
		sh.releaseHandle(hd)
		return err
	}
	return nil
}

// kindOf returns the kind of a live key, or ok false.
func (sh *shard) kindOf(slot int, key []byte) (Kind, bool) {
	_, loc, ok := sh.find(slot, key, sh.s.now())
	if !ok {
		return 0, false
	}
	return sh.arena.rec(loc).kind(), true
}

// Encoding returns OBJECT ENCODING's name for a non-string key ("" for a
// string or a missing key: the server decides among int/embstr/raw).
func (s *Store) Encoding(key []byte) string {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	_, loc, ok := sh.find(slot, key, s.now())
	if !ok {
		return ""
	}
	r := sh.arena.rec(loc)
	switch r.kind() {
	case KindHash:
		return sh.hashEncoding(r)
	case KindSet:
		return [...]string{"listpack", "intset", "hashtable"}[r.enc()]
	case KindZSet:
		return zsetEncoding(r)
	case KindList:
		return [...]string{"listpack", "", "quicklist"}[r.enc()]
	}
	return ""
}

func typeName(k Kind, ok bool) string {
	if !ok {
		return "none"
	}
	return k.String()
}
