package store

// ZBy says how a ZRangeSpec's bounds are given.
type ZBy int

// The range kinds of ZRANGE.
const (
	ZByRank ZBy = iota
	ZByScore
	ZByLex
)

// ZBound is one end of a score or lex range: Score (±Inf allowed) or Lex,
// exclusive when Excl; Lex ranges use Inf -1 for "-" and +1 for "+".
type ZBound struct {
	Score float64
	Lex   []byte
	Excl  bool
	Inf   int
}

// ZRangeSpec selects entries of a sorted set as ZRANGE does: by rank
// (Start, Stop, inclusive, negative from the end, counted from the highest
// score when Rev), by score or by lex (Min <= Max in ascending terms; Rev
// walks from Max down); Offset and Count are LIMIT (Count < 0: no limit).
type ZRangeSpec struct {
	By          ZBy
	Rev         bool
	Start, Stop int64
	Min, Max    ZBound
	Offset      int64
	Count       int64
}

// ranks returns the ascending ranks [lo, hi) that q's bounds select.
func (q *ZRangeSpec) ranks(zv *zsetv) (lo, hi int) {
	n := int64(zv.len())
	switch q.By {
	case ZByRank:
		start, stop := q.Start, q.Stop
		if start < 0 {
			start += n
		}
		if stop < 0 {
			stop += n
		}
		start = max(start, 0)
		if start > stop || start >= n {
			return 0, 0
		}
		stop = min(stop, n-1)
		if q.Rev {
			return int(n - 1 - stop), int(n - start)
		}
		return int(start), int(stop + 1)
	case ZByScore:
		mn, mx := q.Min, q.Max
		lo = zv.countBefore(func(s float64, _ string) bool { return s < mn.Score || mn.Excl && s == mn.Score })
		hi = zv.countBefore(func(s float64, _ string) bool { return s < mx.Score || !mx.Excl && s == mx.Score })
	default:
		lo = lexRank(zv, q.Min, true)
		hi = lexRank(zv, q.Max, false)
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// lexRank counts the entries before a lex bound: below a min bound, or up
// to and including a max bound.
func lexRank(zv *zsetv, b ZBound, isMin bool) int {
	switch b.Inf {
	case -1:
		return 0
	case 1:
		return zv.len()
	}
	lex := alias(b.Lex)
	incl := b.Excl == isMin // a min excludes the bound itself when Excl; a max includes it unless Excl
	return zv.countBefore(func(_ float64, m string) bool { return m < lex || incl && m == lex })
}

// each calls fn for the entries q selects, in its order, after Offset and
// up to Count.
func (q *ZRangeSpec) each(zv *zsetv, fn func(e zent)) {
	lo, hi := q.ranks(zv)
	if q.Offset < 0 || q.Offset >= int64(hi-lo) || q.Count == 0 {
		return
	}
	n := int64(hi-lo) - q.Offset
	if q.Count > 0 {
		n = min(n, q.Count)
	}
	start := lo + int(q.Offset)
	if q.Rev {
		start = hi - 1 - int(q.Offset)
	}
	zv.walk(start, q.Rev, func(e zent) bool {
		fn(e)
		n--
		return n > 0
	})
}
