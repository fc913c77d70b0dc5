package store

import "math"

// ZAggregate is how ZUNION/ZINTER combine a member's weighted scores.
type ZAggregate int

// The aggregates.
const (
	ZSum ZAggregate = iota
	ZMin
	ZMax
)

// ZAlgebra is a ZUNION/ZINTER/ZDIFF: the op (SetUnion, SetInter,
// SetDiff), one weight per key (nil: all 1) and the aggregate; Limit > 0
// stops an intersection after Limit members (ZINTERCARD).
type ZAlgebra struct {
	Op      SetOp
	Weights []float64
	Agg     ZAggregate
	Limit   int
}

// zsrc is one input of the algebra: a sorted set, or a set (score 1).
type zsrc struct {
	z     *zsetv
	s     *setv
	w     float64
	empty bool
}

func (x *zsrc) len() int {
	switch {
	case x.empty:
		return 0
	case x.z != nil:
		return x.z.len()
	}
	return x.s.len()
}

func (x *zsrc) score(m []byte) (float64, bool) {
	switch {
	case x.empty:
		return 0, false
	case x.z != nil:
		return x.z.score(m)
	}
	return 1, x.s.has(m)
}

func (x *zsrc) each(fn func(m []byte, s float64) bool) {
	switch {
	case x.empty || x.len() == 0:
	case x.z != nil:
		x.z.walk(0, false, func(e zent) bool { return fn([]byte(e.m), e.s) })
	default:
		x.s.each(func(m []byte) bool { return fn(m, 1) })
	}
}

// loadSources loads keys as sorted sets or sets (WRONGTYPE otherwise; a
// missing key is empty).
func (sh *shard) loadSources(slot int, keys [][]byte, weights []float64) ([]zsrc, error) {
	out := make([]zsrc, len(keys))
	for i, k := range keys {
		out[i].w = 1
		if weights != nil {
			out[i].w = weights[i]
		}
		kind, ok := sh.kindOf(slot, k)
		switch {
		case !ok:
			out[i].empty = true
		case kind == KindZSet:
			zv, _ := sh.loadZSet(slot, k)
			out[i].z = &zv
		case kind == KindSet:
			sv, _ := sh.loadSet(slot, k, false)
			out[i].s = &sv
		default:
			return nil, ErrWrongType
		}
	}
	return out, nil
}

// weighted is Redis's weight * score, with NaN (0 * inf) taken as 0.
func weighted(w, s float64) float64 {
	if v := w * s; !math.IsNaN(v) {
		return v
	}
	return 0
}

func (a ZAggregate) combine(acc, v float64) float64 {
	switch a {
	case ZMin:
		return min(acc, v)
	case ZMax:
		return max(acc, v)
	}
	if s := acc + v; !math.IsNaN(s) {
		return s
	}
	return 0
}

// compute runs q over the sources and returns the result sorted.
func (q *ZAlgebra) compute(srcs []zsrc) []ZEntry {
	var out []ZEntry
	switch q.Op {
	case SetUnion:
		idx := map[string]int{}
		for i := range srcs {
			w := srcs[i].w
			srcs[i].each(func(m []byte, s float64) bool {
				v := weighted(w, s)
				if j, ok := idx[string(m)]; ok {
					out[j].Score = q.Agg.combine(out[j].Score, v)
				} else {
					idx[string(m)] = len(out)
					out = append(out, ZEntry{Member: []byte(string(m)), Score: v})
				}
				return true
			})
		}
	case SetInter:
		if len(srcs) == 0 {
			return nil
		}
		first := 0
		for i := range srcs {
			if srcs[i].len() < srcs[first].len() {
				first = i
			}
		}
		srcs[0], srcs[first] = srcs[first], srcs[0]
		srcs[0].each(func(m []byte, s float64) bool {
			v := weighted(srcs[0].w, s)
			for i := 1; i < len(srcs); i++ {
				o, ok := srcs[i].score(m)
				if !ok {
					return true
				}
				v = q.Agg.combine(v, weighted(srcs[i].w, o))
			}
			out = append(out, ZEntry{Member: []byte(string(m)), Score: v})
			return q.Limit <= 0 || len(out) < q.Limit
		})
	case SetDiff:
		srcs[0].each(func(m []byte, s float64) bool {
			for i := 1; i < len(srcs); i++ {
				if _, ok := srcs[i].score(m); ok {
					return true
				}
			}
			out = append(out, ZEntry{Member: []byte(string(m)), Score: s})
			return true
		})
	}
	sortZEntries(out)
	return out
}

// ZCompute returns the result of q over keys (one slot), sorted.
func (t TypeOps) ZCompute(q ZAlgebra, keys [][]byte) ([]ZEntry, error) {
	var out []ZEntry
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		var srcs []zsrc
		if srcs, err = sh.loadSources(slot, keys, q.Weights); err == nil {
			out = q.compute(srcs)
		}
	}, keys...); e != nil {
		return nil, e
	}
	return out, err
}

// ZStore stores the result of q over keys into dst (one slot; an empty
// result deletes dst) and returns its size.
func (t TypeOps) ZStore(q ZAlgebra, dst []byte, keys [][]byte) (int, error) {
	var n int
	var err error
	if e := t.ks.run(func(sh *shard, slot int) {
		var srcs []zsrc
		if srcs, err = sh.loadSources(slot, keys, q.Weights); err != nil {
			return
		}
		res := q.compute(srcs)
		n = len(res)
		err = sh.storeZSet(slot, dst, res)
	}, append([][]byte{dst}, keys...)...); e != nil {
		return 0, e
	}
	return n, err
}
