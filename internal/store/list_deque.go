package store

import (
	"encoding/binary"
	"slices"
)

// listLarge is the large list encoding, a chunked deque like Redis's
// quicklist: the elements are packed into chunks (nodes) of at most the
// list-max-listpack-size limit, each a pointer-free byte slice, and the
// chunks sit in the middle of a slice with room at both ends. Push and pop
// at either end are O(1) (amortized: a chunk is grown by a quarter when an
// end push needs room, with its spare room on that side); LINDEX/LSET walk
// the chunk counts from the nearer end and then one chunk.
//
// An element is packed as uvarint length, bytes, then the length's uvarint
// bytes reversed (a backlen, read from the end), so the last element of a
// chunk is found without a forward walk.
type listLarge struct {
	buf    []lchunk // live chunks are buf[lo:hi]
	lo, hi int
	n      int   // elements
	bytes  int64 // capacities of the chunks' data
}

// lchunk is one node: its elements are data[off:].
type lchunk struct {
	data []byte
	off  int32
	n    int32
}

// listFill is the node limit of list-max-listpack-size: at most maxBytes
// bytes and, when maxCount > 0, maxCount elements.
type listFill struct{ maxBytes, maxCount int }

// fillOf turns list-max-listpack-size into a node limit as Redis's
// quicklistNodeLimit does (a count limit keeps the 8 KiB safety limit).
func fillOf(size int) listFill {
	if size >= 0 {
		return listFill{maxBytes: 8192, maxCount: max(size, 1)}
	}
	return listFill{maxBytes: 4096 << min(-size-1, 4)}
}

// exceeds reports whether a node of sz bytes and n elements is over f.
func (f listFill) exceeds(sz, n int) bool {
	return sz > f.maxBytes || f.maxCount > 0 && n > f.maxCount
}

func (o *listLarge) memBytes() int64 {
	return o.bytes + int64(cap(o.buf))*int64(32) + 64
}

func (o *listLarge) chunks() []lchunk { return o.buf[o.lo:o.hi] }

// entSize is the packed size of an element of n bytes.
func entSize(n int) int {
	w := 1
	for x := uint64(n); x >= 0x80; x >>= 7 {
		w++
	}
	return 2*w + n
}

// putEnt packs e at dst (len(dst) == entSize(len(e))).
func putEnt(dst, e []byte) {
	w := binary.PutUvarint(dst, uint64(len(e)))
	copy(dst[w:], e)
	for i := 0; i < w; i++ {
		dst[len(dst)-1-i] = dst[i]
	}
}

// firstEnt returns the first element of b and its packed size.
func firstEnt(b []byte) ([]byte, int) {
	n, w := binary.Uvarint(b)
	return b[w : w+int(n) : w+int(n)], 2*w + int(n)
}

// lastEnt returns the last element of b and its packed size.
func lastEnt(b []byte) ([]byte, int) {
	var tmp [binary.MaxVarintLen64]byte
	w := 0
	for i := len(b) - 1; ; i-- {
		tmp[w] = b[i]
		w++
		if b[i] < 0x80 {
			break
		}
	}
	n, _ := binary.Uvarint(tmp[:w])
	end := len(b) - w
	return b[end-int(n) : end : end], 2*w + int(n)
}

func (c *lchunk) live() []byte { return c.data[c.off:] }

// elems appends the elements of c to dst (aliasing c).
func (c *lchunk) elems(dst [][]byte) [][]byte {
	for b := c.live(); len(b) > 0; {
		e, sz := firstEnt(b)
		dst = append(dst, e)
		b = b[sz:]
	}
	return dst
}

// grow makes room for need more bytes at the front or back of c (a
// quarter more, but not beyond the node limit, so a full node has no
// slack).
func (o *listLarge) grow(c *lchunk, need int, front bool, f listFill) {
	live := c.live()
	size := len(live) + need
	size = min(size+max(size/4, 32), max(f.maxBytes, size))
	nb := make([]byte, size)
	o.bytes += int64(size - cap(c.data))
	if front {
		copy(nb[size-len(live):], live)
		c.data, c.off = nb, int32(size-len(live))
		return
	}
	copy(nb, live)
	c.data, c.off = nb[:len(live)], 0
}

// push adds e at the front or back.
func (o *listLarge) push(e []byte, front bool, f listFill) {
	sz := entSize(len(e))
	cs := o.chunks()
	var c *lchunk
	if len(cs) > 0 {
		c = &cs[len(cs)-1]
		if front {
			c = &cs[0]
		}
		if f.exceeds(len(c.live())+sz, int(c.n)+1) {
			c = nil
		}
	}
	if c == nil {
		c = o.newChunk(front)
	}
	if front {
		if int(c.off) < sz {
			o.grow(c, sz, true, f)
		}
		c.off -= int32(sz)
		putEnt(c.data[c.off:int(c.off)+sz], e)
	} else {
		if cap(c.data)-len(c.data) < sz {
			o.grow(c, sz, false, f)
		}
		c.data = c.data[:len(c.data)+sz]
		putEnt(c.data[len(c.data)-sz:], e)
	}
	c.n++
	o.n++
}

// newChunk adds an empty chunk at one end and returns it.
func (o *listLarge) newChunk(front bool) *lchunk {
	if front && o.lo == 0 || !front && o.hi == len(o.buf) {
		o.regrow()
	}
	if front {
		o.lo--
		return &o.buf[o.lo]
	}
	o.hi++
	return &o.buf[o.hi-1]
}

// regrow recentres the live chunks in a larger buf.
func (o *listLarge) regrow() {
	live := o.hi - o.lo
	nb := make([]lchunk, max(8, 2*live+2))
	lo := (len(nb) - live) / 2
	copy(nb[lo:], o.buf[o.lo:o.hi])
	o.buf, o.lo, o.hi = nb, lo, lo+live
}

// pop removes the front or back element and returns a copy.
func (o *listLarge) pop(front bool) []byte {
	cs := o.chunks()
	ci := len(cs) - 1
	if front {
		ci = 0
	}
	c := &cs[ci]
	var e []byte
	var sz int
	if front {
		e, sz = firstEnt(c.live())
		e = slices.Clone(e)
		c.off += int32(sz)
	} else {
		e, sz = lastEnt(c.live())
		e = slices.Clone(e)
		c.data = c.data[:len(c.data)-sz]
	}
	c.n--
	o.n--
	if c.n == 0 {
		o.removeChunk(ci)
	}
	return e
}

// removeChunk drops chunk i (of chunks()).
func (o *listLarge) removeChunk(i int) {
	o.bytes -= int64(cap(o.buf[o.lo+i].data))
	switch {
	case i == 0:
		o.buf[o.lo] = lchunk{}
		o.lo++
	case o.lo+i == o.hi-1:
		o.hi--
		o.buf[o.hi] = lchunk{}
	default:
		copy(o.buf[o.lo+i:], o.buf[o.lo+i+1:o.hi])
		o.hi--
		o.buf[o.hi] = lchunk{}
	}
}

// locate returns the chunk holding element i and i's index in it,
// walking from the nearer end.
func (o *listLarge) locate(i int) (ci, j int) {
	cs := o.chunks()
	if i < o.n/2 {
		for ci = 0; i >= int(cs[ci].n); ci++ {
			i -= int(cs[ci].n)
		}
		return ci, i
	}
	r := o.n - 1 - i // index from the back
	for ci = len(cs) - 1; r >= int(cs[ci].n); ci-- {
		r -= int(cs[ci].n)
	}
	return ci, int(cs[ci].n) - 1 - r
}

// index returns element i (aliasing the chunk).
func (o *listLarge) index(i int) []byte {
	ci, j := o.locate(i)
	b := o.chunks()[ci].live()
	for ; j > 0; j-- {
		_, sz := firstEnt(b)
		b = b[sz:]
	}
	e, _ := firstEnt(b)
	return e
}

// replaceChunk replaces chunk ci by the elements es (none: the chunk is
// removed), split into as many chunks as f needs.
func (o *listLarge) replaceChunk(ci int, es [][]byte, f listFill) {
	old := int(o.buf[o.lo+ci].n)
	o.bytes -= int64(cap(o.buf[o.lo+ci].data))
	o.n += len(es) - old
	var parts []lchunk
	for len(es) > 0 {
		k, sz := 0, 0
		for k < len(es) && (k == 0 || !f.exceeds(sz+entSize(len(es[k])), k+1)) {
			sz += entSize(len(es[k]))
			k++
		}
		c := lchunk{data: make([]byte, sz), n: int32(k)}
		at := 0
		for _, e := range es[:k] {
			putEnt(c.data[at:at+entSize(len(e))], e)
			at += entSize(len(e))
		}
		o.bytes += int64(sz)
		parts = append(parts, c)
		es = es[k:]
	}
	if len(parts) == 0 {
		o.bytes += int64(cap(o.buf[o.lo+ci].data)) // removeChunk subtracts it
		o.removeChunk(ci)
		return
	}
	o.buf[o.lo+ci] = parts[0]
	for _, p := range parts[1:] {
		if o.hi == len(o.buf) {
			o.regrow()
		}
		ci++
		copy(o.buf[o.lo+ci+1:o.hi+1], o.buf[o.lo+ci:o.hi])
		o.buf[o.lo+ci] = p
		o.hi++
	}
}
