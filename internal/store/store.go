// Package store is ringcache's in-memory string store.
//
// Keys live in the 16384 Redis Cluster hash slots, and contiguous slots are
// grouped into shards. Each shard has one mutex, an append-only arena of
// large byte chunks holding records [header | key | value], a pointer-free
// index map[uint64]uint64 from the xxhash of a key to its record's packed
// location and slot (64-bit hash collisions go to a tiny overflow map), and
// a min-heap of deadlines; the garbage collector marks almost nothing per
// key. Every operation runs under its shard's lock, so check-and-set is
// atomic, and Atomic runs a whole function under one slot's lock for
// MULTI/EXEC. Deadlines are on a monotonic clock, so expiry is exact: a due
// key is deleted on access, by the active expiry cycle and before any count,
// and is never returned or scanned. A maxmemory budget counts what the
// arena (garbage included), index and heaps hold; a write that would exceed
// it first evicts keys under one of the eight Redis policies (sampled into a
// per-shard eviction pool, like Redis); it fails with ErrOOM only when
// memory is already over the budget and nothing can be evicted (Redis
// checks before a command, not against its size). Dead records
// are reclaimed by compacting the chunk with the most garbage.
package store

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Policy is a maxmemory eviction policy, as Redis's maxmemory-policy.
type Policy int

// The eight Redis eviction policies.
const (
	NoEviction     Policy = iota // writes that need memory fail with ErrOOM
	AllKeysLRU                   // evict the least recently used key
	AllKeysLFU                   // evict the least frequently used key
	VolatileLRU                  // least recently used among keys with a TTL
	VolatileLFU                  // least frequently used among keys with a TTL
	VolatileTTL                  // the key with a TTL that expires soonest
	AllKeysRandom                // a random key
	VolatileRandom               // a random key with a TTL
)

var policyNames = [...]string{"noeviction", "allkeys-lru", "allkeys-lfu",
	"volatile-lru", "volatile-lfu", "volatile-ttl", "allkeys-random", "volatile-random"}

// ParsePolicy parses a Redis maxmemory-policy name such as "allkeys-lru"
// (case-insensitive, like CONFIG SET).
func ParsePolicy(s string) (Policy, error) {
	for i, n := range policyNames {
		if equalFold(n, s) {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("store: unknown maxmemory policy %q", s)
}

// String returns the Redis name of the policy.
func (p Policy) String() string {
	if p < 0 || int(p) >= len(policyNames) {
		return fmt.Sprintf("Policy(%d)", int(p))
	}
	return policyNames[p]
}

func (p Policy) volatile() bool {
	return p == VolatileLRU || p == VolatileLFU || p == VolatileTTL || p == VolatileRandom
}

func (p Policy) lfu() bool { return p == AllKeysLFU || p == VolatileLFU }

// IsLFU reports an LFU policy (OBJECT FREQ is tracked).
func (p Policy) IsLFU() bool { return p.lfu() }

// IsLRU reports an LRU policy.
func (p Policy) IsLRU() bool { return p == AllKeysLRU || p == VolatileLRU }

// Clock gives monotonic time in nanoseconds. Implementations must be safe for
// concurrent use.
type Clock interface{ Now() int64 }

// Config configures a Store. The zero value of a field means its default,
// except where stated.
type Config struct {
	// MaxMemory is the memory budget in bytes; 0 means unlimited.
	MaxMemory int64
	// Policy is the eviction policy used when MaxMemory is reached.
	// DefaultConfig sets AllKeysLFU (best measured hit ratio, docs/store-measurements.md); the zero value is NoEviction.
	Policy Policy
	// MaxValueSize bounds a string value (proto-max-bulk-len); APPEND,
	// SETRANGE and Modify results beyond it fail with ErrMaxSize.
	// 0 means the default, 512 MiB.
	MaxValueSize int64
	// Shards is the number of lock shards, a power of two between 1 and
	// 16384; 0 means the default, 64.
	Shards int
	// ActiveExpiry is the period of the active expiry cycle (Redis hz 10 is
	// 100ms). 0 disables the goroutine; tests then call ExpireCycle.
	ActiveExpiry time.Duration
	// Clock is the monotonic clock (its Now must be > 0); nil means the
	// real one.
	Clock Clock
	// OnRemove, when not nil, is called for every key the store removes on
	// its own: expired (lazily on access, by the expiry cycle or before a
	// count or scan) or evicted under MaxMemory. It runs with the key's
	// shard lock held (during eviction another shard's lock may be held
	// too), so it must be quick, must not call into the Store, and must
	// copy key to keep it. Removals callers ask for (Del, FlushAll,
	// overwrites) do not call it. nil (the default) disables it.
	OnRemove func(key []byte, reason RemoveReason)
}

// RemoveReason says why the store removed a key on its own (Config.OnRemove).
type RemoveReason int

// Remove reasons.
const (
	RemovedExpired RemoveReason = iota // its TTL passed
	RemovedEvicted                     // evicted under MaxMemory
)

// Defaults.
const (
	DefaultMaxValueSize = 512 << 20
	DefaultShards       = 64
	DefaultActiveExpiry = 100 * time.Millisecond
	maxShards           = 16384
)

// DefaultConfig returns the production defaults: no memory limit,
// allkeys-lfu, 512 MiB values, 64 shards, active expiry every 100ms.
func DefaultConfig() Config {
	return Config{Policy: AllKeysLFU, MaxValueSize: DefaultMaxValueSize,
		Shards: DefaultShards, ActiveExpiry: DefaultActiveExpiry}
}

func (c Config) withDefaults() (Config, error) {
	if c.MaxValueSize == 0 {
		c.MaxValueSize = DefaultMaxValueSize
	}
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
	switch {
	case c.MaxMemory < 0:
		return c, errors.New("store: MaxMemory must be >= 0")
	case c.Policy < 0 || int(c.Policy) >= len(policyNames):
		return c, fmt.Errorf("store: invalid policy %d", int(c.Policy))
	case c.MaxValueSize < 0 || c.MaxValueSize > 1<<32-1:
		return c, errors.New("store: MaxValueSize must be in [1, 4GiB)")
	case c.Shards < 1 || c.Shards > maxShards || c.Shards&(c.Shards-1) != 0:
		return c, fmt.Errorf("store: Shards must be a power of two in [1, %d], got %d", maxShards, c.Shards)
	case c.ActiveExpiry < 0:
		return c, errors.New("store: ActiveExpiry must be >= 0")
	}
	if c.Clock == nil {
		c.Clock = newMonoClock()
	}
	return c, nil
}

// Sentinel errors. The server maps them to Redis error text in one place;
// the comment of each gives that text.
var (
	ErrNotInteger = errors.New("ERR value is not an integer or out of range")
	ErrNotFloat   = errors.New("ERR value is not a valid float")
	ErrOverflow   = errors.New("ERR increment or decrement would overflow")
	ErrNaNOrInf   = errors.New("ERR increment would produce NaN or Infinity")
	ErrMaxSize    = errors.New("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	//lint:ignore ST1005 the exact Redis error text, mapped verbatim by the server
	ErrOOM = errors.New("OOM command not allowed when used memory > 'maxmemory'.")
	// ErrCrossSlot: a multi-key operation got keys of different slots, or a
	// Tx operation got a key outside its slot.
	ErrCrossSlot = errors.New("CROSSSLOT Keys in request don't hash to the same slot")
)

// SetCond is the existence condition of Set.
type SetCond int

// Set conditions.
const (
	SetAlways SetCond = iota // write whatever
	SetNX                    // write only if the key does not exist
	SetXX                    // write only if the key exists
)

// SetOptions are the options of Set (SET's NX/XX, EX/PX/EXAT/PXAT, KEEPTTL, GET).
type SetOptions struct {
	Cond SetCond
	// TTL > 0 expires the key after TTL; 0 means no expiry (unless KeepTTL);
	// < 0 means already expired: the write happens and the key is gone.
	TTL time.Duration
	// KeepTTL keeps the existing TTL (SET ... KEEPTTL).
	KeepTTL bool
	// Get returns the old value, appended to dst (SET ... GET).
	Get bool
}

// ExpireCond is the condition of the EXPIRE family (Redis 7). A key without
// a TTL counts as an infinite TTL for GT and LT.
type ExpireCond int

// Expire conditions.
const (
	ExpireAlways ExpireCond = iota // no condition
	ExpireNX                       // only if the key has no TTL
	ExpireXX                       // only if the key has a TTL
	ExpireGT                       // only if the new TTL is greater
	ExpireLT                       // only if the new TTL is less
)

// TTLState says whether a key exists and has a TTL.
type TTLState int

// TTL states; NoKey and NoTTL carry Redis's reply values.
const (
	NoKey  TTLState = -2 // the key does not exist
	NoTTL  TTLState = -1 // the key exists without a TTL
	HasTTL TTLState = 1  // the key exists with a TTL
)

// Ops are the atomic per-key operations. *Store implements them taking the
// key's shard lock per call; *Tx implements them under the lock Atomic
// already holds for a whole slot. Methods taking dst append to it and return
// the extended slice (no allocation when dst has capacity).
type Ops interface {
	// Get appends the value to dst; counts a hit or miss and touches LRU/LFU.
	Get(dst, key []byte) ([]byte, bool)
	// Peek is Get without touching LRU/LFU or hit/miss counters.
	Peek(dst, key []byte) ([]byte, bool)
	// Set writes key=val under o; old is the previous value (appended to
	// dst) when o.Get; written reports whether the write happened.
	Set(dst, key, val []byte, o SetOptions) (old []byte, oldExists bool, written bool, err error)
	// GetDel returns the value and deletes the key.
	GetDel(dst, key []byte) ([]byte, bool)
	// GetEx returns the value; setTTL applies ttl (<= 0 deletes the key),
	// persist removes the TTL.
	GetEx(dst, key []byte, ttl time.Duration, persist bool, setTTL bool) ([]byte, bool)
	// Del deletes the key and reports whether it existed.
	Del(key []byte) bool
	// Exists reports whether the key exists.
	Exists(key []byte) bool
	// Touch touches LRU/LFU and reports whether the key exists.
	Touch(key []byte) bool
	// Expire sets the TTL if cond holds; ttl <= 0 deletes the key. It
	// reports whether the key existed and cond held.
	Expire(key []byte, ttl time.Duration, cond ExpireCond) bool
	// Persist removes the TTL and reports whether there was one.
	Persist(key []byte) bool
	// TTL returns the remaining time to live.
	TTL(key []byte) (time.Duration, TTLState)
	// IncrBy adds delta to the integer value (missing key: 0).
	IncrBy(key []byte, delta int64) (int64, error)
	// IncrByFloat adds delta to the float value and appends the new value to
	// dst, formatted exactly like Redis 7 (long double, %.17Lf, trailing
	// zeros trimmed).
	IncrByFloat(dst, key []byte, delta float64) ([]byte, error)
	// Append appends val and returns the new length.
	Append(key, val []byte) (int, error)
	// StrLen returns the length of the value, 0 if missing.
	StrLen(key []byte) int
	// GetRange appends the substring [start, end] with GETRANGE's index rules.
	GetRange(dst, key []byte, start, end int64) []byte
	// SetRange overwrites from offset with zero-padding and returns the new
	// length; an empty val on a missing key creates nothing and returns 0.
	SetRange(key []byte, offset int64, val []byte) (int, error)
	// Modify is a generic atomic read-modify-write that keeps the TTL. old is
	// valid only during fn; val may alias a scratch buffer (it is copied).
	Modify(key []byte, fn func(old []byte, exists bool) (val []byte, write bool)) error
	// MSetNX sets k1 v1 k2 v2 ... only if none exists; all keys must be in
	// one slot (else ErrCrossSlot).
	MSetNX(kvs [][]byte) (bool, error)
	// MSet sets k1 v1 k2 v2 ..., atomically per slot.
	MSet(kvs [][]byte) error
	// Types are the hash and set operations (typeops.go).
	Types
	// Type returns TYPE's answer: "string", "hash", "set" or "none".
	Type(key []byte) string
}

var (
	_ Ops = (*Store)(nil)
	_ Ops = (*Tx)(nil)
)

// Entry is one exported key: Value with its remaining TTL (0 = none).
// Kind is the key's kind (the zero value is a string); for the other kinds
// Value is the serialization described in entry.go.
type Entry struct {
	Key, Value []byte
	TTL        time.Duration
	Kind       Kind
}

// Stats are the store's counters, for INFO and metrics.
type Stats struct {
	Keys        int64  // live keys
	Expires     int64  // live keys with a TTL
	Hits        int64  // keyspace_hits
	Misses      int64  // keyspace_misses
	ExpiredKeys int64  // keys deleted because their TTL passed
	EvictedKeys int64  // keys evicted for maxmemory
	UsedMemory  int64  // bytes held: arena chunks (incl. garbage), index, heaps
	MaxMemory   int64  // the budget, 0 = unlimited
	ArenaBytes  int64  // bytes of arena chunks held
	LiveBytes   int64  // bytes of live records in the arena
	Compactions int64  // arena chunks compacted
	Policy      Policy // current eviction policy
}

// Store is the in-memory store. It is safe for concurrent use.
type Store struct {
	TypeOps  // hash and set operations (typeops.go)
	cfg      Config
	lim      limitsBox
	shards   []shard
	shardLog uint // log2(shards)
	mem      memState
	hash     func([]byte) uint64

	closeOnce sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

// New validates cfg (not modified) and returns a Store; it starts the
// active-expiry goroutine when cfg.ActiveExpiry > 0 (stopped by Close).
func New(cfg Config) (*Store, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: c, stop: make(chan struct{}), hash: hashKey}
	s.TypeOps.ks = s
	s.initShards()
	s.mem.max.Store(c.MaxMemory)
	s.mem.policy.Store(int64(c.Policy))
	if c.ActiveExpiry > 0 {
		s.wg.Add(1)
		go s.expiryLoop(c.ActiveExpiry)
	}
	return s, nil
}

// Close stops the active-expiry goroutine and waits for it. It is safe to
// call twice; the store stays usable (without active expiry).
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
	return nil
}

func (s *Store) expiryLoop(period time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.ExpireCycle()
		}
	}
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
