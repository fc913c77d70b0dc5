package store

import (
	"bytes"
	"encoding/binary"
)

// flatTable is the large encoding of hashes and sets: a pointer-free open
// addressing hash table, so a million fields cost the garbage collector
// two objects and their bytes are exactly what memBytes says. Entries
// (uvarint len, key, and for a hash uvarint len, value) are appended to
// data; idx holds data offsets + 2 (0 = empty, 1 = deleted), probed
// linearly from the key's xxhash, and is kept at most 7/8 full (deleted
// slots included). A value rewritten at another size and a deleted entry
// leave garbage in data, compacted away once it is half of data.
type flatTable struct {
	data    []byte
	idx     []uint32
	n, dead int // live entries, deleted idx slots
	garbage int // bytes of dead entries in data
	vals    bool
}

func newFlatTable(vals bool, hint int) *flatTable {
	t := &flatTable{vals: vals}
	t.rehash(hint)
	return t
}

func (t *flatTable) len() int { return t.n }

// memBytes is what the table holds: both arrays' capacities.
func (t *flatTable) memBytes() int64 { return int64(cap(t.data)) + 4*int64(cap(t.idx)) + 64 }

// entry decodes the entry at off: key, value and the end offset.
func (t *flatTable) entry(off int) (k, v []byte, end int) {
	n, w := binary.Uvarint(t.data[off:])
	off += w
	k = t.data[off : off+int(n) : off+int(n)]
	off += int(n)
	if t.vals {
		n, w = binary.Uvarint(t.data[off:])
		off += w
		v = t.data[off : off+int(n) : off+int(n)]
		off += int(n)
	}
	return k, v, off
}

// find returns key's idx slot and whether it holds key (else the first
// free slot the probe met, or -1 when none).
func (t *flatTable) find(key []byte) (int, bool) {
	mask := len(t.idx) - 1
	free := -1
	for i := int(hashKey(key)) & mask; ; i = (i + 1) & mask {
		switch x := t.idx[i]; x {
		case 0:
			if free < 0 {
				free = i
			}
			return free, false
		case 1:
			if free < 0 {
				free = i
			}
		default:
			if k, _, _ := t.entry(int(x - 2)); bytes.Equal(k, key) {
				return i, true
			}
		}
	}
}

func (t *flatTable) get(key []byte) ([]byte, bool) {
	i, ok := t.find(key)
	if !ok {
		return nil, false
	}
	_, v, _ := t.entry(int(t.idx[i] - 2))
	return v, true
}

func (t *flatTable) has(key []byte) bool { _, ok := t.find(key); return ok }

// put sets key (to val for a hash) and reports whether key is new.
func (t *flatTable) put(key, val []byte) bool {
	i, ok := t.find(key)
	if ok {
		off := int(t.idx[i] - 2)
		_, v, end := t.entry(off)
		if len(v) == len(val) {
			copy(v[:len(val):len(val)], val)
			return false
		}
		t.garbage += end - off
		t.idx[i] = t.appendEntry(key, val)
		t.maybeCompact()
		return false
	}
	if t.idx[i] == 1 {
		t.dead--
	}
	t.idx[i] = t.appendEntry(key, val)
	t.n++
	if (t.n+t.dead)*8 > len(t.idx)*7 {
		t.rehash(t.n)
	}
	return true
}

func (t *flatTable) appendEntry(key, val []byte) uint32 {
	if need := len(t.data) + len(key) + len(val) + 20; need > cap(t.data) {
		grown := make([]byte, len(t.data), max(need, cap(t.data)*5/4+64)) // gentler than append's doubling
		copy(grown, t.data)
		t.data = grown
	}
	off := len(t.data)
	t.data = binary.AppendUvarint(t.data, uint64(len(key)))
	t.data = append(t.data, key...)
	if t.vals {
		t.data = binary.AppendUvarint(t.data, uint64(len(val)))
		t.data = append(t.data, val...)
	}
	return uint32(off + 2)
}

// del deletes key and reports whether it was there.
func (t *flatTable) del(key []byte) bool {
	i, ok := t.find(key)
	if !ok {
		return false
	}
	off := int(t.idx[i] - 2)
	_, _, end := t.entry(off)
	t.garbage += end - off
	t.idx[i] = 1
	t.n--
	t.dead++
	t.maybeCompact()
	return true
}

// each calls fn for every entry until it returns false.
func (t *flatTable) each(fn func(k, v []byte) bool) {
	for _, x := range t.idx {
		if x >= 2 {
			if k, v, _ := t.entry(int(x - 2)); !fn(k, v) {
				return
			}
		}
	}
}

func (t *flatTable) maybeCompact() {
	if t.garbage > 4096 && t.garbage*2 > len(t.data) {
		t.rehash(t.n)
	}
}

// rehash rebuilds idx for n entries (at most 7/16 full, so it doubles
// before it must grow again) and data without garbage.
func (t *flatTable) rehash(n int) {
	size := 8
	for size*7/16 < n {
		size *= 2
	}
	old, oldData := t.idx, t.data
	t.idx = make([]uint32, size)
	t.data = make([]byte, 0, len(oldData)-t.garbage+len(oldData)/8)
	t.dead, t.garbage = 0, 0
	mask := size - 1
	for _, x := range old {
		if x < 2 {
			continue
		}
		start := int(x - 2)
		k, _, end := (&flatTable{data: oldData, vals: t.vals}).entry(start)
		off := len(t.data)
		t.data = append(t.data, oldData[start:end]...)
		i := int(hashKey(k)) & mask
		for t.idx[i] != 0 {
			i = (i + 1) & mask
		}
		t.idx[i] = uint32(off + 2)
	}
}

// random returns a uniformly random entry (rnd gives random numbers; the
// table must not be empty): random slots are drawn until one is live (the
// table is at least 7/16 full unless deletes thinned it); after 64 misses
// the first live slot after the last draw is taken.
func (t *flatTable) random(rnd func() uint64) (k, v []byte) {
	mask := len(t.idx) - 1
	i := 0
	for try := 0; try < 64; try++ {
		if i = int(rnd()) & mask; t.idx[i] >= 2 {
			break
		}
	}
	for ; ; i = (i + 1) & mask {
		if x := t.idx[i]; x >= 2 {
			k, v, _ = t.entry(int(x - 2))
			return k, v
		}
	}
}
