package store

import (
	"time"

	"github.com/ringcache/ringcache/ring"
)

// Tx runs operations on one slot under the lock Atomic holds, for
// MULTI/EXEC. It is valid only inside the function given to Atomic. A key
// outside the slot makes error-returning operations fail with ErrCrossSlot
// and the others act as if the key were missing (no-op).
type Tx struct {
	TypeOps // hash and set operations (typeops.go)
	sh      *shard
	slot    int
}

// Atomic runs fn with slot's lock held, so the operations fn makes on tx
// are atomic together. fn must not call the Store's own methods for keys of
// the same shard (the lock is not re-entrant) and must not keep tx.
func (s *Store) Atomic(slot int, fn func(tx *Tx)) {
	if slot < 0 || slot >= slotCount {
		tx := &Tx{slot: -1}
		tx.TypeOps.ks = tx
		fn(tx)
		return
	}
	sh := s.shardOf(slot)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	tx := &Tx{sh: sh, slot: slot}
	tx.TypeOps.ks = tx
	fn(tx)
}

// Slot returns the slot the transaction is bound to.
func (tx *Tx) Slot() int { return tx.slot }

func (tx *Tx) ok(key []byte) bool { return tx.sh != nil && ring.KeySlotBytes(key) == tx.slot }

// Get implements Ops.
func (tx *Tx) Get(dst, key []byte) ([]byte, bool) {
	if !tx.ok(key) {
		return dst, false
	}
	return tx.sh.get(tx.slot, dst, key, true)
}

// Peek implements Ops.
func (tx *Tx) Peek(dst, key []byte) ([]byte, bool) {
	if !tx.ok(key) {
		return dst, false
	}
	return tx.sh.get(tx.slot, dst, key, false)
}

// Set implements Ops.
func (tx *Tx) Set(dst, key, val []byte, o SetOptions) ([]byte, bool, bool, error) {
	if !tx.ok(key) {
		return dst, false, false, ErrCrossSlot
	}
	return tx.sh.set(tx.slot, dst, key, val, o)
}

// GetDel implements Ops.
func (tx *Tx) GetDel(dst, key []byte) ([]byte, bool) {
	if !tx.ok(key) {
		return dst, false
	}
	return tx.sh.getDel(tx.slot, dst, key)
}

// GetEx implements Ops.
func (tx *Tx) GetEx(dst, key []byte, ttl time.Duration, persist, setTTL bool) ([]byte, bool) {
	if !tx.ok(key) {
		return dst, false
	}
	return tx.sh.getEx(tx.slot, dst, key, ttl, persist, setTTL)
}

// Del implements Ops.
func (tx *Tx) Del(key []byte) bool { return tx.ok(key) && tx.sh.del(tx.slot, key) }

// Exists implements Ops.
func (tx *Tx) Exists(key []byte) bool { return tx.ok(key) && tx.sh.exists(tx.slot, key, false) }

// Touch implements Ops.
func (tx *Tx) Touch(key []byte) bool { return tx.ok(key) && tx.sh.exists(tx.slot, key, true) }

// Expire implements Ops.
func (tx *Tx) Expire(key []byte, ttl time.Duration, cond ExpireCond) bool {
	return tx.ok(key) && tx.sh.expire(tx.slot, key, ttl, cond)
}

// Persist implements Ops.
func (tx *Tx) Persist(key []byte) bool { return tx.ok(key) && tx.sh.persist(tx.slot, key) }

// TTL implements Ops.
func (tx *Tx) TTL(key []byte) (time.Duration, TTLState) {
	if !tx.ok(key) {
		return 0, NoKey
	}
	return tx.sh.ttl(tx.slot, key)
}

// IncrBy implements Ops.
func (tx *Tx) IncrBy(key []byte, delta int64) (int64, error) {
	if !tx.ok(key) {
		return 0, ErrCrossSlot
	}
	return tx.sh.incrBy(tx.slot, key, delta)
}

// IncrByFloat implements Ops.
func (tx *Tx) IncrByFloat(dst, key []byte, delta float64) ([]byte, error) {
	if !tx.ok(key) {
		return dst, ErrCrossSlot
	}
	return tx.sh.incrByFloat(tx.slot, dst, key, delta)
}

// Append implements Ops.
func (tx *Tx) Append(key, val []byte) (int, error) {
	if !tx.ok(key) {
		return 0, ErrCrossSlot
	}
	return tx.sh.appendVal(tx.slot, key, val)
}

// StrLen implements Ops.
func (tx *Tx) StrLen(key []byte) int {
	if !tx.ok(key) {
		return 0
	}
	return tx.sh.strLen(tx.slot, key)
}

// GetRange implements Ops.
func (tx *Tx) GetRange(dst, key []byte, start, end int64) []byte {
	if !tx.ok(key) {
		return dst
	}
	return tx.sh.getRange(tx.slot, dst, key, start, end)
}

// SetRange implements Ops.
func (tx *Tx) SetRange(key []byte, offset int64, val []byte) (int, error) {
	if !tx.ok(key) {
		return 0, ErrCrossSlot
	}
	return tx.sh.setRange(tx.slot, key, offset, val)
}

// Modify implements Ops.
func (tx *Tx) Modify(key []byte, fn func(old []byte, exists bool) (val []byte, write bool)) error {
	if !tx.ok(key) {
		return ErrCrossSlot
	}
	return tx.sh.modify(tx.slot, key, fn)
}

// Type implements Ops.
func (tx *Tx) Type(key []byte) string {
	if !tx.ok(key) {
		return "none"
	}
	return typeName(tx.sh.kindOf(tx.slot, key))
}

// MSetNX implements Ops: sets all pairs only if no key exists.
func (tx *Tx) MSetNX(kvs [][]byte) (bool, error) {
	if err := tx.checkKVs(kvs); err != nil {
		return false, err
	}
	for i := 0; i < len(kvs); i += 2 {
		if tx.sh.exists(tx.slot, kvs[i], false) {
			return false, nil
		}
	}
	return true, tx.MSet(kvs)
}

// MSet implements Ops.
func (tx *Tx) MSet(kvs [][]byte) error {
	if err := tx.checkKVs(kvs); err != nil {
		return err
	}
	for i := 0; i < len(kvs); i += 2 {
		if _, _, _, err := tx.sh.set(tx.slot, nil, kvs[i], kvs[i+1], SetOptions{}); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) checkKVs(kvs [][]byte) error {
	if len(kvs)%2 != 0 {
		return errOddArgs
	}
	for i := 0; i < len(kvs); i += 2 {
		if !tx.ok(kvs[i]) {
			return ErrCrossSlot
		}
	}
	return nil
}
