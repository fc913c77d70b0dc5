package store

import "unsafe"

// zskip is the ordered half of a large sorted set: Redis's skiplist with
// spans, ordered by (score, member), so rank, nth and range bounds are
// O(log n). Nodes are Go pointers (the large encoding lives in the object
// table, outside the pointer-free arena); memBytes counts them. To keep a
// node at 48 bytes (a Go size class) it has no backward pointer (reverse
// walks go forward in chunks) and its levels above the first live in a
// separate array reached through up.
type zskip struct {
	head   *znode
	length int
	level  int
}

// znode is one member: level 0 inline, levels 1..nup in up[0:nup].
type znode struct {
	member string
	score  float64
	next0  *znode
	span0  uint32
	nup    uint32
	up     *zlevel
}

type zlevel struct {
	next *znode
	span int
}

const zskipMaxLevel = 32

// addSpan adds d to the span of x's level i.
func (x *znode) addSpan(i, d int) {
	if i == 0 {
		x.span0 = uint32(int(x.span0) + d)
		return
	}
	unsafe.Slice(x.up, x.nup)[i-1].span += d
}

func (x *znode) next(i int) *znode {
	if i == 0 {
		return x.next0
	}
	return unsafe.Slice(x.up, x.nup)[i-1].next
}

func (x *znode) span(i int) int {
	if i == 0 {
		return int(x.span0)
	}
	return unsafe.Slice(x.up, x.nup)[i-1].span
}

func (x *znode) setLevel(i int, next *znode, span int) {
	if i == 0 {
		x.next0, x.span0 = next, uint32(span)
		return
	}
	unsafe.Slice(x.up, x.nup)[i-1] = zlevel{next, span}
}

func newZnode(member string, score float64, levels int) *znode {
	x := &znode{member: member, score: score}
	if levels > 1 {
		up := make([]zlevel, levels-1)
		x.up, x.nup = &up[0], uint32(levels-1)
	}
	return x
}

func newZskip() *zskip {
	return &zskip{head: newZnode("", 0, zskipMaxLevel), level: 1}
}

// zless orders entries by score, then member bytes.
func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || s1 == s2 && m1 < m2
}

// nodeBytes is the heap a node of lv levels holds (struct, upper levels,
// member).
func nodeBytes(member string, lv int) int64 {
	b := 48 + strBytes(len(member))
	if lv > 1 {
		b += int64((lv-1)*16+15) &^ 15
	}
	return b
}

// randomLevel draws a level with p = 1/4, as Redis.
func randomLevel(rnd func() uint64) int {
	l := 1
	for x := rnd(); l < zskipMaxLevel && x&3 == 0; x >>= 2 {
		l++
	}
	return l
}

// insert adds member (absent) at score and returns its level count.
func (z *zskip) insert(score float64, member string, rnd func() uint64) int {
	var update [zskipMaxLevel]*znode
	var rank [zskipMaxLevel]int
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for n := x.next(i); n != nil && zless(n.score, n.member, score, member); n = x.next(i) {
			rank[i] += x.span(i)
			x = n
		}
		update[i] = x
	}
	lvl := randomLevel(rnd)
	if lvl > z.level {
		for i := z.level; i < lvl; i++ {
			rank[i], update[i] = 0, z.head
			z.head.setLevel(i, nil, z.length)
		}
		z.level = lvl
	}
	x = newZnode(member, score, lvl)
	for i := 0; i < lvl; i++ {
		u := update[i]
		x.setLevel(i, u.next(i), u.span(i)-(rank[0]-rank[i]))
		u.setLevel(i, x, rank[0]-rank[i]+1)
	}
	for i := lvl; i < z.level; i++ {
		update[i].addSpan(i, 1)
	}
	z.length++
	return lvl
}

// remove deletes the node of (score, member) and returns its level count
// (0 when absent).
func (z *zskip) remove(score float64, member string) int {
	var update [zskipMaxLevel]*znode
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for n := x.next(i); n != nil && zless(n.score, n.member, score, member); n = x.next(i) {
			x = n
		}
		update[i] = x
	}
	x = x.next0
	if x == nil || x.member != member || x.score != score {
		return 0
	}
	for i := 0; i < z.level; i++ {
		u := update[i]
		if u.next(i) == x {
			u.setLevel(i, x.next(i), u.span(i)+x.span(i)-1)
		} else {
			u.addSpan(i, -1)
		}
	}
	for z.level > 1 && z.head.next(z.level-1) == nil {
		z.level--
	}
	z.length--
	return int(x.nup) + 1
}

// countBefore returns how many nodes satisfy before, a predicate true for
// a prefix of the order (the 0-based rank of the first node it rejects).
func (z *zskip) countBefore(before func(score float64, member string) bool) int {
	x, rank := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for n := x.next(i); n != nil && before(n.score, n.member); n = x.next(i) {
			rank += x.span(i)
			x = n
		}
	}
	return rank
}

// nth returns the node of 0-based rank r (0 <= r < length).
func (z *zskip) nth(r int) *znode {
	x, traversed := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for x.next(i) != nil && traversed+x.span(i) <= r+1 {
			traversed += x.span(i)
			x = x.next(i)
		}
		if traversed == r+1 {
			return x
		}
	}
	return nil
}

// rankOf returns the 0-based rank of (score, member), present.
func (z *zskip) rankOf(score float64, member string) int {
	return z.countBefore(func(s float64, m string) bool { return zless(s, m, score, member) })
}

// walk calls fn for the nodes from rank start (0 <= start < length)
// forwards or, when rev, backwards until fn returns false; backwards goes
// forward over chunks of 64 nodes, O(log n) per chunk.
func (z *zskip) walk(start int, rev bool, fn func(n *znode) bool) {
	if !rev {
		for n := z.nth(start); n != nil; n = n.next0 {
			if !fn(n) {
				return
			}
		}
		return
	}
	var buf [64]*znode
	for hi := start; hi >= 0; hi -= len(buf) {
		lo := max(hi-len(buf)+1, 0)
		n := z.nth(lo)
		for i := lo; i <= hi; i, n = i+1, n.next0 {
			buf[i-lo] = n
		}
		for i := hi; i >= lo; i-- {
			if !fn(buf[i-lo]) {
				return
			}
		}
	}
}
