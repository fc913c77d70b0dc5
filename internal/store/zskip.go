package store

// zskip is the ordered half of a large sorted set: Redis's skiplist with
// spans, ordered by (score, member), so rank, nth and range bounds are
// O(log n). Nodes are Go pointers (the large encoding lives in the object
// table, outside the pointer-free arena); memBytes counts them.
type zskip struct {
	head   *znode
	tail   *znode
	length int
	level  int
}

// znode is one member: its levels' forward pointers and spans.
type znode struct {
	member string
	score  float64
	back   *znode
	lv     []zlevel
}

type zlevel struct {
	next *znode
	span int
}

const zskipMaxLevel = 32

func newZskip() *zskip {
	return &zskip{head: &znode{lv: make([]zlevel, zskipMaxLevel)}, level: 1}
}

// zless orders entries by score, then member bytes.
func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || s1 == s2 && m1 < m2
}

// nodeBytes is the heap a node of lv levels holds (struct, levels, member).
func nodeBytes(member string, lv int) int64 {
	return 64 + int64(lv*16+15)&^15 + strBytes(len(member))
}

// randomLevel draws a level with p = 1/4, as Redis.
func randomLevel(rnd func() uint64) int {
	l := 1
	for x := rnd(); l < zskipMaxLevel && x&3 == 0; x >>= 2 {
		l++
	}
	return l
}

// insert adds member (absent) at score and returns its node.
func (z *zskip) insert(score float64, member string, rnd func() uint64) *znode {
	var update [zskipMaxLevel]*znode
	var rank [zskipMaxLevel]int
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for n := x.lv[i].next; n != nil && zless(n.score, n.member, score, member); n = x.lv[i].next {
			rank[i] += x.lv[i].span
			x = n
		}
		update[i] = x
	}
	lvl := randomLevel(rnd)
	if lvl > z.level {
		for i := z.level; i < lvl; i++ {
			rank[i], update[i] = 0, z.head
			update[i].lv[i].span = z.length
		}
		z.level = lvl
	}
	x = &znode{member: member, score: score, lv: make([]zlevel, lvl)}
	for i := 0; i < lvl; i++ {
		x.lv[i].next = update[i].lv[i].next
		update[i].lv[i].next = x
		x.lv[i].span = update[i].lv[i].span - (rank[0] - rank[i])
		update[i].lv[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < z.level; i++ {
		update[i].lv[i].span++
	}
	if update[0] != z.head {
		x.back = update[0]
	}
	if x.lv[0].next != nil {
		x.lv[0].next.back = x
	} else {
		z.tail = x
	}
	z.length++
	return x
}

// remove deletes the node of (score, member) and returns its level count
// (0 when absent).
func (z *zskip) remove(score float64, member string) int {
	var update [zskipMaxLevel]*znode
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for n := x.lv[i].next; n != nil && zless(n.score, n.member, score, member); n = x.lv[i].next {
			x = n
		}
		update[i] = x
	}
	x = x.lv[0].next
	if x == nil || x.member != member {
		return 0
	}
	for i := 0; i < z.level; i++ {
		if update[i].lv[i].next == x {
			update[i].lv[i].span += x.lv[i].span - 1
			update[i].lv[i].next = x.lv[i].next
		} else {
			update[i].lv[i].span--
		}
	}
	if x.lv[0].next != nil {
		x.lv[0].next.back = x.back
	} else {
		z.tail = x.back
	}
	for z.level > 1 && z.head.lv[z.level-1].next == nil {
		z.level--
	}
	z.length--
	return len(x.lv)
}

// countBefore returns how many nodes satisfy before, a predicate true for
// a prefix of the order (the 0-based rank of the first node it rejects).
func (z *zskip) countBefore(before func(score float64, member string) bool) int {
	x, rank := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for n := x.lv[i].next; n != nil && before(n.score, n.member); n = x.lv[i].next {
			rank += x.lv[i].span
			x = n
		}
	}
	return rank
}

// nth returns the node of 0-based rank r (0 <= r < length).
func (z *zskip) nth(r int) *znode {
	x, traversed := z.head, 0
	for i := z.level - 1; i >= 0; i-- {
		for x.lv[i].next != nil && traversed+x.lv[i].span <= r+1 {
			traversed += x.lv[i].span
			x = x.lv[i].next
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
