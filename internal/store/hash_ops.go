package store

import (
	"errors"
	"slices"
	"strconv"

	"github.com/ringcache/ringcache/internal/rstrconv"
)

// Hash errors (Redis's texts).
var (
	ErrHashNotInteger = errors.New("ERR hash value is not an integer")
	ErrHashNotFloat   = errors.New("ERR hash value is not a float")
)

// withHash loads key's hash under its lock, runs fn and commits; fn's
// error (or a load or commit error) is returned. need > 0 first makes
// room for about need bytes under maxmemory.
func (t TypeOps) withHash(key []byte, need int, fn func(hv *hashv) error) error {
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		if need > 0 {
			if err = sh.reserve(need, slot, sh.s.hash(key)); err != nil {
				return
			}
		}
		var hv hashv
		if hv, err = sh.loadHash(slot, key); err != nil {
			return
		}
		if err = fn(&hv); err == nil || hv.dirty {
			if cerr := hv.commit(); err == nil {
				err = cerr
			}
		} else {
			sh.hents = hv.small[:0]
		}
	}, key); e != nil {
		return e
	}
	return err
}

func argBytes(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a) + 8
	}
	return n
}

// HSet sets field/value pairs fv (f1 v1 f2 v2 ...) and returns how many
// fields are new; nx sets only fields that do not exist (HSETNX). A set
// field loses its deadline, as in Redis 7.4.
func (t TypeOps) HSet(key []byte, fv [][]byte, nx bool) (int, error) {
	if len(fv)%2 != 0 {
		return 0, errOddArgs
	}
	added := 0
	err := t.withHash(key, argBytes(fv)+48, func(hv *hashv) error {
		for i := 0; i < len(fv); i += 2 {
			if nx {
				if _, _, ok := hv.get(fv[i]); ok {
					continue
				}
			}
			if hv.set(fv[i], fv[i+1], false) {
				added++
			}
		}
		return nil
	})
	return added, err
}

// HGet calls fn(i, value, ok) for each of fields (HGET, HMGET, HEXISTS,
// HSTRLEN); a missing key reads as an empty hash.
func (t TypeOps) HGet(key []byte, fields [][]byte, fn func(i int, v []byte, ok bool)) error {
	return t.withHash(key, 0, func(hv *hashv) error {
		for i, f := range fields {
			v, _, ok := hv.get(f)
			fn(i, v, ok)
		}
		return nil
	})
}

// HLen returns the number of fields.
func (t TypeOps) HLen(key []byte) (int, error) {
	n := 0
	err := t.withHash(key, 0, func(hv *hashv) error { n = hv.len(); return nil })
	return n, err
}

// HGetAll calls start with the number of fields, then fn for each (HGETALL,
// HKEYS, HVALS).
func (t TypeOps) HGetAll(key []byte, start func(n int), fn func(f, v []byte)) error {
	return t.withHash(key, 0, func(hv *hashv) error {
		start(hv.len())
		hv.each(func(f, v []byte, _ int64) bool { fn(f, v); return true })
		return nil
	})
}

// HDel deletes fields and returns how many existed.
func (t TypeOps) HDel(key []byte, fields [][]byte) (int, error) {
	n := 0
	err := t.withHash(key, 0, func(hv *hashv) error {
		for _, f := range fields {
			if hv.del(f) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// HIncrBy adds delta to field's integer value (missing: 0), keeping its
// deadline.
func (t TypeOps) HIncrBy(key, field []byte, delta int64) (int64, error) {
	var cur int64
	err := t.withHash(key, len(key)+len(field)+80, func(hv *hashv) error {
		if v, _, ok := hv.get(field); ok {
			n, good := rstrconv.ParseInt(v)
			if !good {
				return ErrHashNotInteger
			}
			cur = n
		}
		if delta > 0 && cur > maxInt64-delta || delta < 0 && cur < minInt64-delta {
			return ErrOverflow
		}
		cur += delta
		hv.set(field, strconv.AppendInt(nil, cur, 10), true)
		return nil
	})
	return cur, err
}

// HIncrByFloat adds delta to field's float value and appends the new
// value, formatted as INCRBYFLOAT does, to dst.
func (t TypeOps) HIncrByFloat(dst, key, field []byte, delta float64) ([]byte, error) {
	n := len(dst)
	err := t.withHash(key, len(key)+len(field)+80, func(hv *hashv) error {
		v, _, ok := hv.get(field)
		if !ok {
			v = nil
		} else if v == nil {
			v = []byte{}
		}
		var err error
		if dst, err = addFloat(dst, v, delta); err != nil {
			dst = dst[:n]
			if err == ErrNotFloat {
				return ErrHashNotFloat
			}
			return err
		}
		hv.set(field, slices.Clone(dst[n:]), true)
		return nil
	})
	return dst, err
}

// HRandField returns copies of random fields and values, as HRANDFIELD
// count: count >= 0 distinct fields (all when count >= the size), count < 0
// |count| fields that may repeat.
func (t TypeOps) HRandField(key []byte, count int64) (fields, vals [][]byte, err error) {
	err = t.withHash(key, 0, func(hv *hashv) error {
		n := hv.len()
		if n == 0 || count == 0 {
			return nil
		}
		if count > 0 && count >= int64(n) {
			hv.each(func(f, v []byte, _ int64) bool {
				fields, vals = append(fields, slices.Clone(f)), append(vals, slices.Clone(v))
				return true
			})
			return nil
		}
		if o := hv.large; o != nil && (count < 0 || count < int64(n)/4) {
			picked := map[string]bool{}
			for len(fields) < int(max(count, -count)) {
				f, v := o.t.random(hv.sh.rand)
				if count > 0 && picked[string(f)] {
					continue
				}
				picked[string(f)] = count > 0
				fields, vals = append(fields, slices.Clone(f)), append(vals, slices.Clone(v))
			}
			return nil
		}
		all := hv.entries()
		for _, i := range hv.sh.randomPicks(n, count) {
			fields, vals = append(fields, slices.Clone(all[i].f)), append(vals, slices.Clone(all[i].v))
		}
		return nil
	})
	return fields, vals, err
}

// entries returns the hash's entries as a slice (a copy of the index for a
// large hash; values alias storage).
func (hv *hashv) entries() []hent {
	if hv.large == nil {
		return hv.small
	}
	all := make([]hent, 0, hv.len())
	hv.each(func(f, v []byte, dl int64) bool { all = append(all, hent{f, v, dl}); return true })
	return all
}

// randomPicks returns count indexes of [0, n): distinct when count > 0
// (count < n), with repeats when count < 0.
func (sh *shard) randomPicks(n int, count int64) []int {
	if count < 0 {
		out := make([]int, -count)
		for i := range out {
			out[i] = int(sh.rand() % uint64(n))
		}
		return out
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < int(count); i++ {
		j := i + int(sh.rand()%uint64(n-i))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:count]
}

// HScan returns copies of about count fields (and values) from cursor (0
// = start) matching match (nil = all) and the next cursor (0 = done). A
// small hash is returned whole, as Redis does for a listpack.
func (t TypeOps) HScan(key []byte, cursor uint64, match []byte, count int) (fields, vals [][]byte, next uint64, err error) {
	err = t.withHash(key, 0, func(hv *hashv) error {
		all := hv.entries()
		pos := func(e hent) uint64 { return ord(hashKey(e.f)) }
		next = scanWindow(len(all), hv.large == nil, cursor, count, func(i int) uint64 { return pos(all[i]) }, func(i int) {
			if len(match) == 0 || Match(match, all[i].f, false) {
				fields, vals = append(fields, slices.Clone(all[i].f)), append(vals, slices.Clone(all[i].v))
			}
		})
		return nil
	})
	return fields, vals, next, err
}

// scanWindow visits the elements of a collection of n for one SCAN-style
// call: all of them when whole (cursor 0 returned), else the count with the
// smallest positions >= cursor (positions stable under inserts and
// deletes, as scan.go's), returning one past the largest visited or 0.
func scanWindow(n int, whole bool, cursor uint64, count int, posOf func(int) uint64, visit func(int)) uint64 {
	if whole {
		for i := 0; i < n; i++ {
			visit(i)
		}
		return 0
	}
	type ip struct {
		i int
		p uint64
	}
	var c []ip
	for i := 0; i < n; i++ {
		if p := posOf(i); p >= cursor {
			c = append(c, ip{i, p})
		}
	}
	slices.SortFunc(c, func(a, b ip) int {
		if a.p < b.p {
			return -1
		}
		if a.p > b.p {
			return 1
		}
		return 0
	})
	k := min(max(count, 1), len(c))
	for k < len(c) && k > 0 && c[k].p == c[k-1].p {
		k++
	}
	for _, e := range c[:k] {
		visit(e.i)
	}
	if k >= len(c) || c[k-1].p >= posMask {
		return 0
	}
	return c[k-1].p + 1
}
