package store

import (
	"errors"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// locked runs fn on key's shard under its lock.
func (s *Store) lock(key []byte) (*shard, int) {
	slot := ring.KeySlotBytes(key)
	sh := s.shardOf(slot)
	sh.mu.Lock()
	return sh, slot
}

// Get implements Ops.
func (s *Store) Get(dst, key []byte) ([]byte, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.get(slot, dst, key, true)
}

// Peek implements Ops.
func (s *Store) Peek(dst, key []byte) ([]byte, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.get(slot, dst, key, false)
}

// Set implements Ops.
func (s *Store) Set(dst, key, val []byte, o SetOptions) ([]byte, bool, bool, error) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.set(slot, dst, key, val, o)
}

// GetDel implements Ops.
func (s *Store) GetDel(dst, key []byte) ([]byte, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.getDel(slot, dst, key)
}

// GetEx implements Ops.
func (s *Store) GetEx(dst, key []byte, ttl time.Duration, persist, setTTL bool) ([]byte, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.getEx(slot, dst, key, ttl, persist, setTTL)
}

// Del implements Ops.
func (s *Store) Del(key []byte) bool {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.del(slot, key)
}

// Exists implements Ops.
func (s *Store) Exists(key []byte) bool {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.exists(slot, key, false)
}

// Touch implements Ops.
func (s *Store) Touch(key []byte) bool {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.exists(slot, key, true)
}

// Expire implements Ops.
func (s *Store) Expire(key []byte, ttl time.Duration, cond ExpireCond) bool {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.expire(slot, key, ttl, cond)
}

// Persist implements Ops.
func (s *Store) Persist(key []byte) bool {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.persist(slot, key)
}

// TTL implements Ops.
func (s *Store) TTL(key []byte) (time.Duration, TTLState) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.ttl(slot, key)
}

// IncrBy implements Ops.
func (s *Store) IncrBy(key []byte, delta int64) (int64, error) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.incrBy(slot, key, delta)
}

// IncrByFloat implements Ops.
func (s *Store) IncrByFloat(dst, key []byte, delta float64) ([]byte, error) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.incrByFloat(slot, dst, key, delta)
}

// Append implements Ops.
func (s *Store) Append(key, val []byte) (int, error) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.appendVal(slot, key, val)
}

// StrLen implements Ops.
func (s *Store) StrLen(key []byte) int {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.strLen(slot, key)
}

// GetRange implements Ops.
func (s *Store) GetRange(dst, key []byte, start, end int64) []byte {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.getRange(slot, dst, key, start, end)
}

// SetRange implements Ops.
func (s *Store) SetRange(key []byte, offset int64, val []byte) (int, error) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.setRange(slot, key, offset, val)
}

// Modify implements Ops.
func (s *Store) Modify(key []byte, fn func(old []byte, exists bool) (val []byte, write bool)) error {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return sh.modify(slot, key, fn)
}

// Type implements Ops.
func (s *Store) Type(key []byte) string {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	return typeName(sh.kindOf(slot, key))
}

// MSetNX implements Ops: all keys must share one slot.
func (s *Store) MSetNX(kvs [][]byte) (bool, error) {
	if len(kvs) == 0 || len(kvs)%2 != 0 {
		return false, errOddArgs
	}
	slot, err := kvSlot(kvs)
	if err != nil { // several slots: lock their shards, in index order
		return s.msetnxShards(kvs)
	}
	var ok bool
	s.Atomic(slot, func(tx *Tx) { ok, err = tx.MSetNX(kvs) })
	return ok, err
}

// msetnxShards is MSETNX over keys of several slots, atomic: it holds the
// locks of every shard involved (taken in index order, so two of these
// never deadlock; eviction only try-locks other shards) while it checks
// that no key exists and sets them all.
func (s *Store) msetnxShards(kvs [][]byte) (bool, error) {
	held := make([]bool, len(s.shards))
	for i := 0; i < len(kvs); i += 2 {
		held[s.shardIndex(ring.KeySlotBytes(kvs[i]))] = true
	}
	for i := range s.shards {
		if held[i] {
			s.shards[i].mu.Lock()
			defer s.shards[i].mu.Unlock()
		}
	}
	for i := 0; i < len(kvs); i += 2 {
		slot := ring.KeySlotBytes(kvs[i])
		if s.shardOf(slot).exists(slot, kvs[i], false) {
			return false, nil
		}
	}
	for i := 0; i < len(kvs); i += 2 {
		slot := ring.KeySlotBytes(kvs[i])
		if _, _, _, err := s.shardOf(slot).set(slot, nil, kvs[i], kvs[i+1], SetOptions{}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// MSet implements Ops: keys are set atomically per slot, in order.
func (s *Store) MSet(kvs [][]byte) error {
	if len(kvs)%2 != 0 {
		return errOddArgs
	}
	for i := 0; i < len(kvs); {
		slot := ring.KeySlotBytes(kvs[i])
		j := i + 2
		for j < len(kvs) && ring.KeySlotBytes(kvs[j]) == slot {
			j += 2
		}
		var err error
		s.Atomic(slot, func(tx *Tx) { err = tx.MSet(kvs[i:j]) })
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// kvSlot returns the one slot of the keys of k1 v1 k2 v2 ...
func kvSlot(kvs [][]byte) (int, error) {
	if len(kvs) == 0 || len(kvs)%2 != 0 {
		return 0, errOddArgs
	}
	slot := ring.KeySlotBytes(kvs[0])
	for i := 2; i < len(kvs); i += 2 {
		if ring.KeySlotBytes(kvs[i]) != slot {
			return 0, ErrCrossSlot
		}
	}
	return slot, nil
}

var errOddArgs = errors.New("store: MSet/MSetNX need key value pairs")
