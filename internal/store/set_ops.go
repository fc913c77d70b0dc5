package store

import (
	"slices"
)

// withSet loads key's set under its lock, runs fn and commits (when fn
// succeeds). need > 0 first makes room for about need bytes.
func (t TypeOps) withSet(key []byte, need int, fn func(sv *setv) error) error {
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		if need > 0 {
			if err = sh.reserve(need, slot, sh.s.hash(key)); err != nil {
				return
			}
		}
		var sv setv
		if sv, err = sh.loadSet(slot, key, true); err != nil {
			return
		}
		if err = fn(&sv); err == nil {
			err = sv.commit()
		}
		sh.mems = sv.small[:0]
	}, key); e != nil {
		return e
	}
	return err
}

// SAdd adds members and returns how many are new.
func (t TypeOps) SAdd(key []byte, members [][]byte) (int, error) {
	n := 0
	err := t.withSet(key, argBytes(members)+48, func(sv *setv) error {
		for _, m := range members {
			if sv.add(m) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// SRem removes members and returns how many were there.
func (t TypeOps) SRem(key []byte, members [][]byte) (int, error) {
	n := 0
	err := t.withSet(key, 0, func(sv *setv) error {
		for _, m := range members {
			if sv.rem(m) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// SIsMember calls fn(i, member i is in the set) for each of members.
func (t TypeOps) SIsMember(key []byte, members [][]byte, fn func(i int, ok bool)) error {
	return t.withSet(key, 0, func(sv *setv) error {
		for i, m := range members {
			fn(i, sv.has(m))
		}
		return nil
	})
}

// SCard returns the number of members.
func (t TypeOps) SCard(key []byte) (int, error) {
	n := 0
	err := t.withSet(key, 0, func(sv *setv) error { n = sv.len(); return nil })
	return n, err
}

// SMembers calls start with the number of members, then fn for each.
func (t TypeOps) SMembers(key []byte, start func(n int), fn func(m []byte)) error {
	return t.withSet(key, 0, func(sv *setv) error {
		start(sv.len())
		sv.each(func(m []byte) bool { fn(m); return true })
		return nil
	})
}

// SPop removes and returns copies of up to count random members.
func (t TypeOps) SPop(key []byte, count int64) ([][]byte, error) {
	var out [][]byte
	err := t.withSet(key, 0, func(sv *setv) error {
		n := sv.len()
		if n == 0 || count <= 0 {
			return nil
		}
		switch {
		case count >= int64(n):
			out = sv.members()
		case sv.large != nil && count < int64(n)/4:
			out = sv.randomLarge(count)
		default:
			all := sv.members()
			for _, i := range sv.sh.randomPicks(n, count) {
				out = append(out, all[i])
			}
		}
		for _, m := range out {
			sv.rem(m)
		}
		return nil
	})
	return out, err
}

// SRandMember returns copies of random members, as SRANDMEMBER count:
// count >= 0 distinct (all when count >= the size), count < 0 |count|
// that may repeat.
func (t TypeOps) SRandMember(key []byte, count int64) ([][]byte, error) {
	var out [][]byte
	err := t.withSet(key, 0, func(sv *setv) error {
		n := sv.len()
		if n == 0 || count == 0 {
			return nil
		}
		if count > 0 && count >= int64(n) {
			out = sv.members()
			return nil
		}
		// count < n/4, not count*4 < n: a huge count must not wrap around
		// into a distinct draw larger than the set, which never ends.
		if sv.large != nil && (count < 0 || count < int64(n)/4) {
			out = sv.randomLarge(count)
			return nil
		}
		all := sv.members()
		for _, i := range sv.sh.randomPicks(n, count) {
			out = append(out, all[i])
		}
		return nil
	})
	return out, err
}

// SScan is HScan for sets.
func (t TypeOps) SScan(key []byte, cursor uint64, match []byte, count int) ([][]byte, uint64, error) {
	var out [][]byte
	var next uint64
	err := t.withSet(key, 0, func(sv *setv) error {
		all := sv.members()
		next = scanWindow(len(all), sv.enc != encLarge, cursor, count,
			func(i int) uint64 { return ord(hashKey(all[i])) },
			func(i int) {
				if len(match) == 0 || Match(match, all[i], false) {
					out = append(out, all[i])
				}
			})
		return nil
	})
	return out, next, err
}

// SMove moves member from src to dst (one slot) and reports whether it
// was in src.
func (t TypeOps) SMove(src, dst, member []byte) (bool, error) {
	var moved bool
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		if err = sh.reserve(len(member)+48, slot, sh.s.hash(dst)); err != nil {
			return
		}
		var from, to setv
		if from, err = sh.loadSet(slot, src, false); err != nil || !from.exists {
			return
		}
		if to, err = sh.loadSet(slot, dst, false); err != nil {
			return
		}
		if moved = from.has(member); !moved || string(src) == string(dst) {
			return
		}
		from.detach()
		from.rem(member)
		if err = from.commit(); err != nil {
			return
		}
		if to, err = sh.loadSet(slot, dst, false); err == nil { // from's commit may have moved records
			to.add(member)
			err = to.commit()
		}
	}, src, dst); e != nil {
		return false, e
	}
	return moved, err
}

// SetOp is a set algebra operation.
type SetOp int

// The operations.
const (
	SetInter SetOp = iota
	SetUnion
	SetDiff
)

// SetCompute returns copies of the members of op over keys (one slot); a
// missing key is an empty set. limit > 0 stops SINTER after limit members
// (SINTERCARD).
func (t TypeOps) SetCompute(op SetOp, keys [][]byte, limit int) ([][]byte, error) {
	var out [][]byte
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		out, err = sh.setCompute(slot, op, keys, limit)
	}, keys...); e != nil {
		return nil, e
	}
	return out, err
}

// SetStore stores op over keys into dst (one slot; an empty result deletes
// dst) and returns its size.
func (t TypeOps) SetStore(op SetOp, dst []byte, keys [][]byte) (int, error) {
	var n int
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		var res [][]byte
		if res, err = sh.setCompute(slot, op, keys, 0); err != nil {
			return
		}
		n = len(res)
		if err = sh.reserve(argBytes(res)+48, slot, sh.s.hash(dst)); err != nil {
			return
		}
		if h, loc, ok := sh.find(slot, dst, sh.s.now()); ok {
			sh.deleteKey(slot, h, dst, loc)
		}
		var sv setv
		if sv, err = sh.loadSet(slot, dst, false); err != nil {
			return
		}
		for _, m := range res {
			sv.add(m)
		}
		err = sv.commit()
	}, append([][]byte{dst}, keys...)...); e != nil {
		return 0, e
	}
	return n, err
}

func (sh *shard) setCompute(slot int, op SetOp, keys [][]byte, limit int) ([][]byte, error) {
	sets := make([]setv, len(keys))
	for i, k := range keys {
		var err error
		if sets[i], err = sh.loadSet(slot, k, false); err != nil {
			return nil, err
		}
	}
	var out [][]byte
	switch op {
	case SetUnion:
		seen := map[string]struct{}{}
		for i := range sets {
			sets[i].each(func(m []byte) bool {
				if _, ok := seen[string(m)]; !ok {
					seen[string(m)] = struct{}{}
					out = append(out, slices.Clone(m))
				}
				return true
			})
		}
	case SetInter:
		slices.SortFunc(sets, func(a, b setv) int { return a.len() - b.len() })
		sets[0].each(func(m []byte) bool {
			for i := 1; i < len(sets); i++ {
				if !sets[i].has(m) {
					return true
				}
			}
			out = append(out, slices.Clone(m))
			return limit <= 0 || len(out) < limit
		})
	case SetDiff:
		sets[0].each(func(m []byte) bool {
			for i := 1; i < len(sets); i++ {
				if sets[i].has(m) {
					return true
				}
			}
			out = append(out, slices.Clone(m))
			return true
		})
	}
	return out, nil
}

// randomLarge returns copies of |count| random members of a large set,
// distinct when count > 0 (count well below the size), in O(count).
func (sv *setv) randomLarge(count int64) [][]byte {
	var out [][]byte
	picked := map[string]bool{}
	for len(out) < int(max(count, -count)) {
		m, _ := sv.large.t.random(sv.sh.rand)
		if count > 0 && picked[string(m)] {
			continue
		}
		picked[string(m)] = count > 0
		out = append(out, slices.Clone(m))
	}
	return out
}
