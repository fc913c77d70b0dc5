package store

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/ringcache/ringcache/ring"
)

const slotCount = ring.SlotCount

// memState holds the store-wide memory counters (atomic).
type memState struct {
	arena  atomic.Int64 // arena chunk bytes
	index  atomic.Int64 // estimated index map bytes
	heap   atomic.Int64 // expiry heap bytes
	objs   atomic.Int64 // large non-string values (kind.go)
	keys   atomic.Int64 // live keys
	max    atomic.Int64
	policy atomic.Int64
	fixed  int64 // shard structs and slot counters
}

func (m *memState) used() int64 {
	return m.arena.Load() + m.index.Load() + m.heap.Load() + m.objs.Load() + m.fixed
}

// An index value packs a record's arena location and its slot:
// loc<<14 | slot (loc = chunk<<32 | offset, chunk < 2^18).
func pack(loc uint64, slot int) uint64 { return loc<<14 | uint64(slot) }
func unpack(v uint64) (uint64, int)    { return v >> 14, int(v & (slotCount - 1)) }

// shard is a group of contiguous slots under one mutex. Its index maps the
// xxhash of a key to the packed location of its record; keys whose hash
// collides with an indexed key go to over (in practice never).
type shard struct {
	mu     sync.Mutex
	s      *Store
	first  int // first slot
	m      map[uint64]uint64
	over   map[string]uint64
	counts []int32 // live keys per slot (expired-but-unpurged included)
	peak   int     // largest len(m) since the map was made (maps never shrink)
	idxEst int64   // accounted index bytes
	arena  arena
	exp    []expEnt // min-heap of deadlines
	snap   []uint64 // sorted hashes for Scan (transient)
	pool   evictPool
	rng    uint64

	objs    []object         // large non-string values by handle (kind.go)
	objAcc  []int64          // bytes accounted per handle
	objFree []uint32         // free handles
	objMem  int64            // bytes accounted for objs
	fttl    map[string]int64 // hashes with field TTLs: key -> earliest deadline (hash_ttl.go)
	fexp    []fexpEnt        // min-heap of fttl's deadlines (stale entries skipped)
	hents   []hent           // scratch: a small hash's decoded entries
	enc     []byte           // scratch: an encoding being built
	ints    []int64          // scratch: an intset's members
	mems    [][]byte         // scratch: a small set's members

	keys, expires    int64
	hits, misses     int64
	expired, evicted int64
	_                [64]byte // keep shards on separate cache lines
}

func (s *Store) initShards() {
	n := s.cfg.Shards
	for 1<<s.shardLog < n {
		s.shardLog++
	}
	per := slotCount / n
	s.shards = make([]shard, n)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.s, sh.first = s, i*per
		sh.counts = make([]int32, per)
		sh.arena.active = -1
		sh.rng = uint64(i)*0x9E3779B97F4A7C15 + 1
	}
	s.mem.fixed = int64(n)*int64(unsafe.Sizeof(shard{})) + slotCount*4
}

func hashKey(k []byte) uint64 { return xxhash.Sum64(k) }

func (s *Store) shardOf(slot int) *shard { return &s.shards[s.shardIndex(slot)] }

func (s *Store) shardIndex(slot int) int { return slot >> (14 - s.shardLog) }

func (s *Store) now() int64 { return s.cfg.Clock.Now() }

func (sh *shard) rand() uint64 {
	sh.rng ^= sh.rng << 13
	sh.rng ^= sh.rng >> 7
	sh.rng ^= sh.rng << 17
	return sh.rng
}

// chunkSize is the standard arena chunk size: small budgets get small
// chunks so the per-shard open chunk stays a small part of the budget.
func (s *Store) chunkSize() int {
	max := s.mem.max.Load()
	if max == 0 {
		return maxChunk
	}
	c := minChunk
	for c < maxChunk && int64(c)*2*int64(len(s.shards))*32 <= max {
		c *= 2
	}
	return c
}

// lookup finds key (hash h) regardless of expiry and returns its location.
func (sh *shard) lookup(h uint64, key []byte) (uint64, bool) {
	v, ok := sh.m[h]
	if !ok {
		return 0, false
	}
	if loc, _ := unpack(v); bytes.Equal(sh.arena.rec(loc).key(), key) {
		return loc, true
	}
	v, ok = sh.over[string(key)]
	loc, _ := unpack(v)
	return loc, ok
}

// find looks key up and deletes it if expired (lazy expiry).
func (sh *shard) find(slot int, key []byte, now int64) (uint64, uint64, bool) {
	h := sh.s.hash(key)
	loc, ok := sh.lookup(h, key)
	if !ok {
		return h, 0, false
	}
	if d := sh.arena.rec(loc).deadline(); d != 0 && d <= now {
		sh.notify(key, RemovedExpired)
		sh.remove(slot, h, key, loc)
		sh.expired++
		return h, 0, false
	}
	return h, loc, true
}

// insert adds a new key whose record is at loc.
func (sh *shard) insert(slot int, h uint64, key []byte, loc uint64) {
	if sh.m == nil {
		sh.m = make(map[uint64]uint64)
	}
	if _, taken := sh.m[h]; !taken {
		sh.m[h] = pack(loc, slot)
	} else {
		if sh.over == nil {
			sh.over = make(map[string]uint64)
		}
		sh.over[string(key)] = pack(loc, slot)
	}
	sh.counts[slot-sh.first]++
	sh.keys++
	sh.s.mem.keys.Add(1)
	if len(sh.m) > sh.peak {
		sh.peak = len(sh.m)
		sh.account()
	}
}

// account updates the index estimate: Go swiss maps hold 8-slot groups of
// 16-byte entries plus a control word (136 bytes), grow by doubling at 7/8
// load, and never shrink; over entries cost their key plus ~64 bytes.
func (sh *shard) account() {
	est := int64(48 + 136)
	if sh.peak > 8 {
		c := int64(16)
		for c*7/8 < int64(sh.peak) {
			c *= 2
		}
		est = 48 + c/8*136 + (c/1024+1)*64
	}
	for k := range sh.over {
		est += int64(len(k)) + 64
	}
	sh.s.mem.index.Add(est - sh.idxEst)
	sh.idxEst = est
}

// relink points an existing key at a new location.
func (sh *shard) relink(slot int, h uint64, key []byte, old, loc uint64) {
	if sh.m[h] == pack(old, slot) {
		sh.m[h] = pack(loc, slot)
		return
	}
	sh.over[string(key)] = pack(loc, slot)
}

// remove deletes an existing key and frees its record.
func (sh *shard) remove(slot int, h uint64, key []byte, loc uint64) {
	r := sh.arena.rec(loc)
	if r.deadline() != 0 {
		sh.expires--
	}
	sh.dropValue(r)
	if sh.m[h] == pack(loc, slot) {
		delete(sh.m, h)
		sh.promote(h)
	} else {
		delete(sh.over, string(key))
	}
	sh.arena.kill(loc, &sh.s.mem)
	sh.counts[slot-sh.first]--
	sh.keys--
	sh.s.mem.keys.Add(-1)
}

// promote moves an overflow key with hash h into the main map.
func (sh *shard) promote(h uint64) {
	for k, v := range sh.over {
		if sh.s.hash([]byte(k)) == h {
			delete(sh.over, k)
			sh.m[h] = v
			return
		}
	}
}

// lruClock is the LRU clock: ~1ms units, wrapping.
func lruClock(now int64) uint32 { return uint32(now >> 20) }

// lfuMinutes is the LFU decay clock: minutes, 24 bits.
func lfuMinutes(now int64) uint32 { return uint32(now/int64(time.Minute)) & 0xFFFFFF }

const lfuInitVal = 5

// touch updates the record's LRU/LFU field.
func (sh *shard) touch(r rec, now int64) {
	if !Policy(sh.s.mem.policy.Load()).lfu() {
		r.setAccess(lruClock(now))
		return
	}
	ctr := lfuDecayed(r.access(), now)
	if ctr < 255 {
		base := float64(int(ctr) - lfuInitVal)
		if base < 0 {
			base = 0
		}
		p := 1.0 / (base*10 + 1)
		if float64(sh.rand()>>11)/(1<<53) < p {
			ctr++
		}
	}
	r.setAccess(lfuMinutes(now)<<8 | uint32(ctr))
}

// lfuDecayed is the LFU counter after decay (one per elapsed minute).
func lfuDecayed(a uint32, now int64) uint8 {
	elapsed := (lfuMinutes(now) - a>>8) & 0xFFFFFF
	ctr := a & 0xFF
	if elapsed >= ctr {
		return 0
	}
	return uint8(ctr - elapsed)
}

func (sh *shard) initAccess(now int64) uint32 {
	if Policy(sh.s.mem.policy.Load()).lfu() {
		return lfuMinutes(now)<<8 | lfuInitVal
	}
	return lruClock(now)
}

// writeRecord fills a freshly allocated record.
func writeRecord(buf []byte, slot int, key, val []byte, valCap int, deadline int64, access uint32) {
	r := rec(buf)
	le.PutUint32(buf[0:], uint32(len(key)))
	le.PutUint32(buf[4:], uint32(len(val)))
	le.PutUint32(buf[8:], uint32(valCap))
	r.setDeadline(deadline)
	r.setAccess(access)
	le.PutUint16(buf[24:], uint16(slot))
	le.PutUint16(buf[26:], 0)
	copy(buf[hdrSize:], key)
	copy(buf[hdrSize+len(key):], val)
}

// notify reports a key the store removed on its own to Config.OnRemove
// (caller holds the shard lock).
func (sh *shard) notify(key []byte, reason RemoveReason) {
	if f := sh.s.cfg.OnRemove; f != nil {
		f(key, reason)
	}
}
