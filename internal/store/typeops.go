package store

import (
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// The hash and set operations are written once, on the shard, and reached
// through TypeOps, which *Store (taking the key's shard lock per call) and
// *Tx (under the lock Atomic holds) both embed: each operation runs under
// one lock, so it is atomic, and multi-key ones need all keys in one slot
// (ErrCrossSlot otherwise). Callbacks (fn) run under that lock: they must
// be quick, must not call into the Store, and must copy what they keep.

// keyspace runs fn under the lock of the slot of keys (all in one slot).
type keyspace interface {
	run(fn func(sh *shard, slot int), keys ...[]byte) error
}

// TypeOps are the hash and set operations (embedded in *Store and *Tx).
type TypeOps struct{ ks keyspace }

func (s *Store) run(fn func(sh *shard, slot int), keys ...[]byte) error {
	slot, err := oneSlot(keys)
	if err != nil {
		return err
	}
	sh := s.shardOf(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fn(sh, slot)
	return nil
}

func (tx *Tx) run(fn func(sh *shard, slot int), keys ...[]byte) error {
	for _, k := range keys {
		if !tx.ok(k) {
			return ErrCrossSlot
		}
	}
	fn(tx.sh, tx.slot)
	return nil
}

func oneSlot(keys [][]byte) (int, error) {
	slot := ring.KeySlotBytes(keys[0])
	for _, k := range keys[1:] {
		if ring.KeySlotBytes(k) != slot {
			return 0, ErrCrossSlot
		}
	}
	return slot, nil
}

// Limits are the encoding thresholds, as Redis's hash-max-listpack-*,
// set-max-intset-entries and set-max-listpack-*: a value converts to its
// large encoding once it outgrows them (never back).
type Limits struct {
	HashEntries, HashValue int
	SetIntEntries          int
	SetEntries, SetValue   int
	ZSetEntries, ZSetValue int
	ListSize               int // list-max-listpack-size: < 0 a node's bytes (-1 4 KiB .. -5 64 KiB), > 0 its elements
}

// DefaultLimits are Redis 7's defaults.
func DefaultLimits() Limits {
	return Limits{HashEntries: 128, HashValue: 64, SetIntEntries: 512, SetEntries: 128, SetValue: 64,
		ZSetEntries: 128, ZSetValue: 64, ListSize: -2}
}

type limitsBox struct{ p atomic.Pointer[Limits] }

// SetLimits changes the encoding thresholds (CONFIG SET); negative values
// are taken as 0 (everything large), but for ListSize (Redis's meaning).
func (s *Store) SetLimits(l Limits) {
	for _, p := range []*int{&l.HashEntries, &l.HashValue, &l.SetIntEntries, &l.SetEntries, &l.SetValue, &l.ZSetEntries, &l.ZSetValue} {
		*p = max(*p, 0)
	}
	s.lim.p.Store(&l)
}

// Limits returns the encoding thresholds.
func (s *Store) Limits() Limits { return s.limits() }

func (s *Store) limits() Limits {
	if l := s.lim.p.Load(); l != nil {
		return *l
	}
	return DefaultLimits()
}

// Types lists the operations on hashes and sets (part of Ops); see
// TypeOps's methods.
type Types interface {
	HSet(key []byte, fv [][]byte, nx bool) (int, error)
	HGet(key []byte, fields [][]byte, fn func(i int, v []byte, ok bool)) error
	HLen(key []byte) (int, error)
	HGetAll(key []byte, start func(n int), fn func(f, v []byte)) error
	HDel(key []byte, fields [][]byte) (int, error)
	HIncrBy(key, field []byte, delta int64) (int64, error)
	HIncrByFloat(dst, key, field []byte, delta float64) ([]byte, error)
	HRandField(key []byte, count int64) (fields, vals [][]byte, err error)
	HScan(key []byte, cursor uint64, match []byte, count int) (fields, vals [][]byte, next uint64, err error)
	HExpire(key []byte, ttl time.Duration, cond ExpireCond, fields [][]byte, fn func(i, res int)) error
	HTTL(key []byte, fields [][]byte, fn func(i int, ttl time.Duration, st TTLState)) error
	HPersist(key []byte, fields [][]byte, fn func(i, res int)) error

	SAdd(key []byte, members [][]byte) (int, error)
	SRem(key []byte, members [][]byte) (int, error)
	SIsMember(key []byte, members [][]byte, fn func(i int, ok bool)) error
	SCard(key []byte) (int, error)
	SMembers(key []byte, start func(n int), fn func(m []byte)) error
	SPop(key []byte, count int64) ([][]byte, error)
	SRandMember(key []byte, count int64) ([][]byte, error)
	SScan(key []byte, cursor uint64, match []byte, count int) ([][]byte, uint64, error)
	SMove(src, dst, member []byte) (bool, error)
	SetCompute(op SetOp, keys [][]byte, limit int) ([][]byte, error)
	SetStore(op SetOp, dst []byte, keys [][]byte) (int, error)

	ZSetTypes

	Transfer(src, dst []byte, move, overwrite bool) (found, done bool, err error)

	Lists
}
