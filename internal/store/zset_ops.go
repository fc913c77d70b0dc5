package store

import (
	"errors"
	"math"
	"slices"
)

// ZEntry is a sorted set member and its score (copies).
type ZEntry struct {
	Member []byte
	Score  float64
}

// ErrZNaN is ZADD INCR / ZINCRBY producing NaN (inf + -inf).
var ErrZNaN = errors.New("ERR resulting score is not a number (NaN)")

// ZSetTypes lists the sorted set operations (part of Types).
type ZSetTypes interface {
	ZAdd(key []byte, o ZAddOpts, pairs []ZEntry) (ZAddResult, error)
	ZScore(key []byte, members [][]byte, fn func(i int, s float64, ok bool)) error
	ZCard(key []byte) (int, error)
	ZRank(key, member []byte, rev bool) (rank int, score float64, ok bool, err error)
	ZRem(key []byte, members [][]byte) (int, error)
	ZRange(key []byte, q ZRangeSpec) ([]ZEntry, error)
	ZCount(key []byte, q ZRangeSpec) (int, error)
	ZRemRange(key []byte, q ZRangeSpec) (int, error)
	ZRangeStore(dst, src []byte, q ZRangeSpec) (int, error)
	ZPop(key []byte, count int, max bool) ([]ZEntry, error)
	ZRandMember(key []byte, count int64) ([]ZEntry, error)
	ZScan(key []byte, cursor uint64, match []byte, count int) ([]ZEntry, uint64, error)
	ZCompute(q ZAlgebra, keys [][]byte) ([]ZEntry, error)
	ZStore(q ZAlgebra, dst []byte, keys [][]byte) (int, error)
}

// ZAddOpts are ZADD's flags.
type ZAddOpts struct{ NX, XX, GT, LT, Incr bool }

// ZAddResult is what ZADD answers: members added and scores changed, and
// for INCR the new score (Done false when a flag prevented the change).
type ZAddResult struct {
	Added, Changed int
	Score          float64
	Done           bool
}

// withZSet loads key's sorted set under its lock, runs fn and commits
// (when fn succeeds). need > 0 first makes room for about need bytes.
func (t TypeOps) withZSet(key []byte, need int, fn func(zv *zsetv) error) error {
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		if need > 0 {
			if err = sh.reserve(need, slot, sh.s.hash(key)); err != nil {
				return
			}
		}
		var zv zsetv
		if zv, err = sh.loadZSet(slot, key); err != nil {
			return
		}
		if err = fn(&zv); err == nil {
			err = zv.commit()
		}
	}, key); e != nil {
		return e
	}
	return err
}

// ZAdd is ZADD (and ZINCRBY: Incr with one pair).
func (t TypeOps) ZAdd(key []byte, o ZAddOpts, pairs []ZEntry) (ZAddResult, error) {
	var res ZAddResult
	need := 64
	for _, p := range pairs {
		need += len(p.Member) + 80
	}
	err := t.withZSet(key, need, func(zv *zsetv) error {
		for _, p := range pairs {
			cur, ok := zv.score(p.Member)
			s := p.Score
			switch {
			case ok && o.NX, !ok && o.XX:
				continue
			case ok && o.Incr:
				if s += cur; math.IsNaN(s) {
					return ErrZNaN
				}
			}
			if ok && (o.LT && s >= cur || o.GT && s <= cur) {
				continue
			}
			res.Score, res.Done = s, true
			if !ok {
				res.Added++
				zv.put(p.Member, s)
			} else if s != cur {
				res.Changed++
				zv.put(p.Member, s)
			}
		}
		return nil
	})
	return res, err
}

// ZScore calls fn with each member's score.
func (t TypeOps) ZScore(key []byte, members [][]byte, fn func(i int, s float64, ok bool)) error {
	return t.withZSet(key, 0, func(zv *zsetv) error {
		for i, m := range members {
			s, ok := zv.score(m)
			fn(i, s, ok)
		}
		return nil
	})
}

// ZCard returns the number of members.
func (t TypeOps) ZCard(key []byte) (int, error) {
	n := 0
	err := t.withZSet(key, 0, func(zv *zsetv) error { n = zv.len(); return nil })
	return n, err
}

// ZRank returns member's rank (from the highest score when rev).
func (t TypeOps) ZRank(key, member []byte, rev bool) (rank int, score float64, ok bool, err error) {
	err = t.withZSet(key, 0, func(zv *zsetv) error {
		rank, score, ok = zv.rank(member)
		if ok && rev {
			rank = zv.len() - 1 - rank
		}
		return nil
	})
	return rank, score, ok, err
}

// ZRem removes members and returns how many were there.
func (t TypeOps) ZRem(key []byte, members [][]byte) (int, error) {
	n := 0
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		for _, m := range members {
			if zv.del(m) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// ZRange returns copies of the entries q selects, in its order.
func (t TypeOps) ZRange(key []byte, q ZRangeSpec) ([]ZEntry, error) {
	var out []ZEntry
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		q.each(zv, func(e zent) { out = append(out, ZEntry{Member: []byte(e.m), Score: e.s}) })
		return nil
	})
	return out, err
}

// ZCount returns how many entries q's bounds select (LIMIT ignored).
func (t TypeOps) ZCount(key []byte, q ZRangeSpec) (int, error) {
	n := 0
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		lo, hi := q.ranks(zv)
		n = hi - lo
		return nil
	})
	return n, err
}

// ZRemRange removes the entries q's bounds select and returns how many.
func (t TypeOps) ZRemRange(key []byte, q ZRangeSpec) (int, error) {
	n := 0
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		q.Offset, q.Count = 0, -1
		var ms [][]byte
		q.each(zv, func(e zent) { ms = append(ms, []byte(e.m)) })
		for _, m := range ms {
			zv.del(m)
		}
		n = len(ms)
		return nil
	})
	return n, err
}

// ZRangeStore stores the entries of src that q selects into dst (one
// slot; an empty result deletes dst) and returns how many.
func (t TypeOps) ZRangeStore(dst, src []byte, q ZRangeSpec) (int, error) {
	var n int
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		var zv zsetv
		if zv, err = sh.loadZSet(slot, src); err != nil {
			return
		}
		var res []ZEntry
		q.each(&zv, func(e zent) { res = append(res, ZEntry{Member: []byte(e.m), Score: e.s}) })
		n = len(res)
		err = sh.storeZSet(slot, dst, res)
	}, dst, src); e != nil {
		return 0, e
	}
	return n, err
}

// storeZSet replaces dst with a sorted set of es (deletes it when empty).
func (sh *shard) storeZSet(slot int, dst []byte, es []ZEntry) error {
	need := 64
	for _, e := range es {
		need += len(e.Member) + 80
	}
	if err := sh.reserve(need, slot, sh.s.hash(dst)); err != nil {
		return err
	}
	if h, loc, ok := sh.find(slot, dst, sh.s.now()); ok {
		sh.deleteKey(slot, h, dst, loc)
	}
	zv, err := sh.loadZSet(slot, dst)
	if err != nil {
		return err
	}
	for _, e := range es {
		zv.put(e.Member, e.Score)
	}
	return zv.commit()
}

// ZPop removes and returns up to count entries with the lowest (or, when
// max, highest) scores, in that order.
func (t TypeOps) ZPop(key []byte, count int, max bool) ([]ZEntry, error) {
	var out []ZEntry
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		n := min(count, zv.len())
		if n <= 0 {
			return nil
		}
		start := 0
		if max {
			start = zv.len() - 1
		}
		zv.walk(start, max, func(e zent) bool {
			out = append(out, ZEntry{Member: []byte(e.m), Score: e.s})
			return len(out) < n
		})
		for _, e := range out {
			zv.del(e.Member)
		}
		return nil
	})
	return out, err
}

// ZRandMember returns copies of random entries, as ZRANDMEMBER count:
// count >= 0 distinct (all when count >= the size), count < 0 |count|
// that may repeat.
func (t TypeOps) ZRandMember(key []byte, count int64) ([]ZEntry, error) {
	var out []ZEntry
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		n := zv.len()
		if n == 0 || count == 0 {
			return nil
		}
		if count > 0 && count >= int64(n) {
			out = zv.entries()
			return nil
		}
		for _, r := range zv.sh.zrandomRanks(n, count) {
			zv.walk(r, false, func(e zent) bool {
				out = append(out, ZEntry{Member: []byte(e.m), Score: e.s})
				return false
			})
		}
		return nil
	})
	return out, err
}

// zrandomRanks returns |count| ranks of [0, n): distinct when count > 0
// (count < n), in O(count).
func (sh *shard) zrandomRanks(n int, count int64) []int {
	if count < 0 || count >= int64(n)/4 {
		return sh.randomPicks(n, count)
	}
	out := make([]int, 0, count)
	seen := make(map[int]bool, count)
	for len(out) < int(count) {
		r := int(sh.rand() % uint64(n))
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// ZScan is HScan for sorted sets.
func (t TypeOps) ZScan(key []byte, cursor uint64, match []byte, count int) ([]ZEntry, uint64, error) {
	var out []ZEntry
	var next uint64
	err := t.withZSet(key, 0, func(zv *zsetv) error {
		all := zv.entries()
		next = scanWindow(len(all), zv.large == nil, cursor, count,
			func(i int) uint64 { return ord(hashKey(all[i].Member)) },
			func(i int) {
				if len(match) == 0 || Match(match, all[i].Member, false) {
					out = append(out, all[i])
				}
			})
		return nil
	})
	return out, next, err
}

// sortZEntries orders es by score, then member, as a sorted set does.
func sortZEntries(es []ZEntry) {
	slices.SortFunc(es, func(a, b ZEntry) int {
		switch {
		case zless(a.Score, alias(a.Member), b.Score, alias(b.Member)):
			return -1
		case zless(b.Score, alias(b.Member), a.Score, alias(a.Member)):
			return 1
		}
		return 0
	})
}
