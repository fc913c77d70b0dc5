package store

import "encoding/binary"

// Record layout in an arena chunk (little endian):
//
//	0  keyLen  uint32
//	4  valLen  uint32
//	8  valCap  uint32   bytes reserved for the value (>= valLen)
//	12 deadline int64   monotonic ns, 0 = no TTL
//	20 access  uint32   LRU clock or LFU (minutes<<8 | counter)
//	24 slot    uint16
//	26 flags   uint16   flagDead once the record is garbage; flagRaw for a
//	                    value APPEND or SETRANGE edited (OBJECT ENCODING raw)
//	28 key, then valCap bytes of value
const (
	hdrSize  = 28
	flagDead = 1
	flagRaw  = 2

	maxChunk = 256 << 10
	minChunk = 2 << 10
)

type rec []byte

var le = binary.LittleEndian

func (r rec) keyLen() int         { return int(le.Uint32(r[0:])) }
func (r rec) valLen() int         { return int(le.Uint32(r[4:])) }
func (r rec) valCap() int         { return int(le.Uint32(r[8:])) }
func (r rec) deadline() int64     { return int64(le.Uint64(r[12:])) }
func (r rec) access() uint32      { return le.Uint32(r[20:]) }
func (r rec) slot() int           { return int(le.Uint16(r[24:])) }
func (r rec) dead() bool          { return le.Uint16(r[26:])&flagDead != 0 }
func (r rec) size() int           { return hdrSize + r.keyLen() + r.valCap() }
func (r rec) key() []byte         { n := r.keyLen(); return r[hdrSize : hdrSize+n : hdrSize+n] }
func (r rec) setValLen(n int)     { le.PutUint32(r[4:], uint32(n)) }
func (r rec) setDeadline(d int64) { le.PutUint64(r[12:], uint64(d)) }
func (r rec) setAccess(a uint32)  { le.PutUint32(r[20:], a) }
func (r rec) setDead()            { le.PutUint16(r[26:], flagDead) }
func (r rec) raw() bool           { return le.Uint16(r[26:])&flagRaw != 0 }

// setRaw marks the value as edited in place (APPEND, SETRANGE), which
// Redis reports as encoding raw whatever the value; a write clears it.
func (r rec) setRaw(on bool) {
	f := le.Uint16(r[26:]) &^ flagRaw
	if on {
		f |= flagRaw
	}
	le.PutUint16(r[26:], f)
}

func (r rec) val() []byte {
	k, n := r.keyLen(), r.valLen()
	return r[hdrSize+k : hdrSize+k+n : hdrSize+k+n]
}

// valBuf is the whole value area (capacity valCap).
func (r rec) valBuf() []byte {
	k, c := r.keyLen(), r.valCap()
	return r[hdrSize+k : hdrSize+k+c : hdrSize+k+c]
}

func recSize(keyLen, valCap int) int { return hdrSize + keyLen + valCap }

// chunk is one arena buffer; records are appended up to fill.
type chunk struct {
	buf  []byte
	fill int // bytes appended or written off (a closed chunk's tail)
	recs int // end of the records
	dead int // bytes of dead records
}

// arena is a shard's append-only record store.
type arena struct {
	chunks      []chunk
	free        []uint32 // indexes of nil chunks to reuse
	active      int      // chunk receiving small records, -1 none
	spare       []byte   // one released standard chunk kept for reuse
	bytes       int64    // sum of len(buf) of held chunks (incl. spare)
	dead        int64    // sum of dead bytes
	live        int64    // bytes of live records
	compactions int64
}

func (a *arena) rec(loc uint64) rec {
	return rec(a.chunks[loc>>32].buf[uint32(loc):])
}

// alloc reserves size bytes and returns the location and the buffer. It
// never moves existing records. chunkSize is the standard chunk size.
func (a *arena) alloc(size, chunkSize int, mem *memState) (uint64, []byte) {
	a.live += int64(size)
	if size > chunkSize/4 {
		idx := a.newChunk(make([]byte, size), mem)
		a.chunks[idx].fill, a.chunks[idx].recs = size, size
		return uint64(idx) << 32, a.chunks[idx].buf
	}
	if a.active < 0 || len(a.chunks[a.active].buf)-a.chunks[a.active].fill < size {
		a.openActive(chunkSize, size, mem)
	}
	c := &a.chunks[a.active]
	off := c.fill
	c.fill += size
	c.recs = c.fill
	return uint64(a.active)<<32 | uint64(off), c.buf[off : off+size : off+size]
}

func (a *arena) openActive(chunkSize, need int, mem *memState) {
	if a.active >= 0 {
		// The unused tail of the old active chunk becomes garbage.
		c := &a.chunks[a.active]
		tail := len(c.buf) - c.fill
		c.dead += tail
		c.fill = len(c.buf)
		a.dead += int64(tail)
		old := a.active
		a.active = -1
		a.maybeRelease(old, mem)
	}
	for chunkSize > minChunk && chunkSize/2 >= 4*need && int64(chunkSize)*8 > a.bytes {
		chunkSize /= 2 // a small shard gets small chunks
	}
	buf := a.spare
	a.spare = nil
	if len(buf) != chunkSize {
		if buf != nil {
			a.bytes -= int64(len(buf))
			mem.arena.Add(-int64(len(buf)))
		}
		buf = make([]byte, chunkSize)
		a.bytes += int64(chunkSize)
		mem.arena.Add(int64(chunkSize))
	}
	a.active = int(a.place(buf))
}

// newChunk adds a dedicated chunk (accounted).
func (a *arena) newChunk(buf []byte, mem *memState) uint32 {
	a.bytes += int64(len(buf))
	mem.arena.Add(int64(len(buf)))
	return a.place(buf)
}

func (a *arena) place(buf []byte) uint32 {
	if n := len(a.free); n > 0 {
		idx := a.free[n-1]
		a.free = a.free[:n-1]
		a.chunks[idx] = chunk{buf: buf}
		return idx
	}
	a.chunks = append(a.chunks, chunk{buf: buf})
	return uint32(len(a.chunks) - 1)
}

// kill marks the record at loc dead.
func (a *arena) kill(loc uint64, mem *memState) {
	r := a.rec(loc)
	size := r.size()
	r.setDead()
	idx := int(loc >> 32)
	a.chunks[idx].dead += size
	a.dead += int64(size)
	a.live -= int64(size)
	if c := &a.chunks[idx]; idx == a.active && c.dead == c.recs {
		a.dead -= int64(c.dead) // the open chunk is empty again: rewind it
		c.fill, c.recs, c.dead = 0, 0, 0
		return
	}
	a.maybeRelease(idx, mem)
}

// maybeRelease frees a non-active chunk whose records are all dead.
func (a *arena) maybeRelease(idx int, mem *memState) {
	c := &a.chunks[idx]
	if idx == a.active || c.buf == nil || c.dead < c.fill || c.fill < len(c.buf) {
		return
	}
	a.release(idx, mem)
}

func (a *arena) release(idx int, mem *memState) {
	c := &a.chunks[idx]
	a.dead -= int64(c.dead)
	if a.spare == nil && a.bytes >= 16*int64(len(c.buf)) && len(c.buf) <= maxChunk && len(c.buf) >= minChunk && c.fill == len(c.buf) && isPow2(len(c.buf)) {
		a.spare = c.buf // kept and still accounted
	} else {
		a.bytes -= int64(len(c.buf))
		mem.arena.Add(-int64(len(c.buf)))
	}
	*c = chunk{}
	a.free = append(a.free, uint32(idx))
}

// victim returns the non-active chunk with the most dead bytes, or -1.
func (a *arena) victim() int {
	best, bestDead := -1, 0
	for i := range a.chunks {
		c := &a.chunks[i]
		if i != a.active && c.buf != nil && c.dead > bestDead {
			best, bestDead = i, c.dead
		}
	}
	return best
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// dropAll releases every chunk.
func (a *arena) dropAll(mem *memState) {
	mem.arena.Add(-a.bytes)
	*a = arena{active: -1, compactions: a.compactions}
}
