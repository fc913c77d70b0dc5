package cacheserver

// Sorted set commands, as Redis 7.0 answers them (ZRANK/ZREVRANK without
// 7.2's WITHSCORE). The blocking forms (BZPOPMIN, BZPOPMAX, BZMPOP) are
// not implemented. Multi-key forms need all keys in one slot
// (CROSSSLOT otherwise, as SINTER).

import (
	"math"

	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/internal/rstrconv"
	"github.com/ringcache/ringcache/internal/store"
)

func zsetCmd(name string, arity int, flags []string, first, last int, acl []string, since, summary string, h func(*conn, [][]byte)) *command {
	step := 1
	if first == 0 {
		step = 0
	}
	return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, step: step,
		acl: []string{acl[0], "@sortedset", acl[1]}, group: "sorted-set", since: since, summary: summary, handler: h}
}

func zsetCommands() []*command {
	rMov, wMov := []string{"readonly", "movablekeys"}, []string{"write", "denyoom", "movablekeys"}
	cmds := []*command{
		zsetCmd("zadd", -4, wDenyFast, 1, 1, aWFast, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", cmdZAdd),
		zsetCmd("zincrby", 4, wDenyFast, 1, 1, aWFast, "1.2.0", "Increment the score of a member in a sorted set", cmdZIncrBy),
		zsetCmd("zcard", 2, rFast, 1, 1, aRFast, "1.2.0", "Get the number of members in a sorted set", cmdZCard),
		zsetCmd("zscore", 3, rFast, 1, 1, aRFast, "1.2.0", "Get the score associated with the given member in a sorted set", cmdZScore),
		zsetCmd("zmscore", -3, rFast, 1, 1, aRFast, "6.2.0", "Get the score associated with the given members in a sorted set", cmdZMScore),
		zsetCmd("zrank", 3, rFast, 1, 1, aRFast, "2.0.0", "Determine the index of a member in a sorted set", cmdZRank),
		zsetCmd("zrevrank", 3, rFast, 1, 1, aRFast, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", cmdZRank),
		zsetCmd("zrem", -3, wFast, 1, 1, aWFast, "1.2.0", "Remove one or more members from a sorted set", cmdZRem),
		zsetCmd("zcount", 4, rFast, 1, 1, aRFast, "2.0.0", "Count the members in a sorted set with scores within the given values", cmdZCount),
		zsetCmd("zlexcount", 4, rFast, 1, 1, aRFast, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", cmdZCount),
		zsetCmd("zrange", -4, rSlow, 1, 1, aRSlow, "1.2.0", "Return a range of members in a sorted set", cmdZRange),
		zsetCmd("zrangebyscore", -4, rSlow, 1, 1, aRSlow, "1.0.5", "Return a range of members in a sorted set, by score", cmdZRange),
		zsetCmd("zrevrangebyscore", -4, rSlow, 1, 1, aRSlow, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", cmdZRange),
		zsetCmd("zrangebylex", -4, rSlow, 1, 1, aRSlow, "2.8.9", "Return a range of members in a sorted set, by lexicographical range", cmdZRange),
		zsetCmd("zrevrangebylex", -4, rSlow, 1, 1, aRSlow, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", cmdZRange),
		zsetCmd("zrevrange", -4, rSlow, 1, 1, aRSlow, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", cmdZRange),
		zsetCmd("zrangestore", -5, wDeny, 1, 2, aWSlow, "6.2.0", "Store a range of members from sorted set into another key", cmdZRange),
		zsetCmd("zremrangebyrank", 4, []string{"write"}, 1, 1, aWSlow, "2.0.0", "Remove all members in a sorted set within the given indexes", cmdZRemRange),
		zsetCmd("zremrangebyscore", 4, []string{"write"}, 1, 1, aWSlow, "1.2.0", "Remove all members in a sorted set within the given scores", cmdZRemRange),
		zsetCmd("zremrangebylex", 4, []string{"write"}, 1, 1, aWSlow, "2.8.9", "Remove all members in a sorted set between the given lexicographical range", cmdZRemRange),
		zsetCmd("zpopmin", -2, wFast, 1, 1, aWFast, "5.0.0", "Remove and return members with the lowest scores in a sorted set", cmdZPop),
		zsetCmd("zpopmax", -2, wFast, 1, 1, aWFast, "5.0.0", "Remove and return members with the highest scores in a sorted set", cmdZPop),
		zsetCmd("zmpop", -4, []string{"write", "movablekeys"}, 0, 0, aWSlow, "7.0.0", "Remove and return members with scores in a sorted set", cmdZMPop),
		zsetCmd("zrandmember", -2, rSlow, 1, 1, aRSlow, "6.2.0", "Get one or multiple random elements from a sorted set", cmdZRandMember),
		zsetCmd("zscan", -3, rSlow, 1, 1, aRSlow, "2.8.0", "Incrementally iterate sorted sets elements and associated scores", cmdZScan),
		zsetCmd("zunion", -3, rMov, 0, 0, aRSlow, "6.2.0", "Add multiple sorted sets", cmdZAlgebra),
		zsetCmd("zinter", -3, rMov, 0, 0, aRSlow, "6.2.0", "Intersect multiple sorted sets", cmdZAlgebra),
		zsetCmd("zdiff", -3, rMov, 0, 0, aRSlow, "6.2.0", "Subtract multiple sorted sets", cmdZAlgebra),
		zsetCmd("zunionstore", -4, wMov, 1, 1, aWSlow, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", cmdZAlgebra),
		zsetCmd("zinterstore", -4, wMov, 1, 1, aWSlow, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", cmdZAlgebra),
		zsetCmd("zdiffstore", -4, wMov, 1, 1, aWSlow, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", cmdZAlgebra),
		zsetCmd("zintercard", -3, rMov, 0, 0, aRSlow, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", cmdZInterCard),
	}
	for _, cmd := range cmds {
		switch cmd.name {
		case "zunion", "zinter", "zdiff", "zintercard", "zmpop":
			cmd.keysFn = sinterCardKeys
		case "zunionstore", "zinterstore", "zdiffstore":
			cmd.keysFn = zstoreKeys
		}
	}
	return cmds
}

// zremoveEvent notifies event on key and, when the removal emptied it,
// "del" (as Redis does after ZREM, ZPOP*, ZREMRANGEBY*).
func zremoveEvent(c *conn, event string, key []byte) {
	typeEvent(c, event, key)
	if c.notifyOn(ntfGeneric) && !c.db.Exists(key) {
		c.notify(ntfGeneric, "del", key)
	}
}

// zstoreKeys returns Z*STORE's keys: the destination and numkeys sources.
func zstoreKeys(args [][]byte) [][]byte {
	if len(args) < 3 {
		return nil
	}
	return append([][]byte{args[1]}, sinterCardKeys(args[1:])...)
}

// writeZEntries replies entries: members only, or with scores (a flat
// array in RESP2, pairs in RESP3 when pairs).
func writeZEntries(c *conn, es []store.ZEntry, scores bool) {
	if !scores {
		c.w.WriteArray(len(es))
		for _, e := range es {
			c.w.WriteBulk(e.Member)
		}
		return
	}
	if c.proto() == 3 {
		c.w.WriteArray(len(es))
		for _, e := range es {
			c.w.WriteArray(2)
			c.w.WriteBulk(e.Member)
			c.w.WriteDouble(e.Score)
		}
		return
	}
	c.w.WriteArray(2 * len(es))
	for _, e := range es {
		c.w.WriteBulk(e.Member)
		c.w.WriteDouble(e.Score)
	}
}

// cmdZAdd is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [...].
func cmdZAdd(c *conn, args [][]byte) {
	var o store.ZAddOpts
	ch := false
	i := 2
	for ; i < len(args); i++ {
		switch {
		case equalFoldStr(args[i], "nx"):
			o.NX = true
		case equalFoldStr(args[i], "xx"):
			o.XX = true
		case equalFoldStr(args[i], "gt"):
			o.GT = true
		case equalFoldStr(args[i], "lt"):
			o.LT = true
		case equalFoldStr(args[i], "ch"):
			ch = true
		case equalFoldStr(args[i], "incr"):
			o.Incr = true
		default:
			goto pairs
		}
	}
pairs:
	rest := args[i:]
	switch {
	case len(rest)%2 != 0 || len(rest) == 0:
		c.replyErrString(syntaxErr)
		return
	case o.NX && o.XX:
		c.replyErrString("ERR XX and NX options at the same time are not compatible")
		return
	case o.GT && o.LT || o.NX && (o.GT || o.LT):
		c.replyErrString("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case o.Incr && len(rest) > 2:
		c.replyErrString("ERR INCR option supports a single increment-element pair")
		return
	}
	pairs := make([]store.ZEntry, len(rest)/2)
	for j := range pairs {
		s, ok := parseScore(rest[2*j])
		if !ok {
			c.replyErrString(zNotFloatErr)
			return
		}
		pairs[j] = store.ZEntry{Score: s, Member: rest[2*j+1]}
	}
	zaddReply(c, args[1], o, pairs, ch)
}

func zaddReply(c *conn, key []byte, o store.ZAddOpts, pairs []store.ZEntry, ch bool) {
	absent := c.keyAbsent(key)
	res, err := c.db.ZAdd(key, o, pairs)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.notifyNew(absent && res.Added > 0, key)
	if res.Added+res.Changed > 0 {
		ev := "zadd"
		if o.Incr {
			ev = "zincr"
		}
		typeEvent(c, ev, key)
	}
	switch {
	case o.Incr && !res.Done:
		c.w.WriteNull()
	case o.Incr:
		c.w.WriteDouble(res.Score)
	case ch:
		c.w.WriteInt(int64(res.Added + res.Changed))
	default:
		c.w.WriteInt(int64(res.Added))
	}
}

// cmdZIncrBy is ZINCRBY key increment member.
func cmdZIncrBy(c *conn, args [][]byte) {
	s, ok := parseScore(args[2])
	if !ok {
		c.replyErrString(zNotFloatErr)
		return
	}
	zaddReply(c, args[1], store.ZAddOpts{Incr: true}, []store.ZEntry{{Member: args[3], Score: s}}, false)
}

func cmdZCard(c *conn, args [][]byte) {
	n, err := c.db.ZCard(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(n))
}

func cmdZScore(c *conn, args [][]byte) {
	var s float64
	var found bool
	if err := c.db.ZScore(args[1], args[2:3], func(_ int, v float64, ok bool) { s, found = v, ok }); err != nil {
		c.replyErr(err)
		return
	}
	if !found {
		c.w.WriteNull()
		return
	}
	c.w.WriteDouble(s)
}

func cmdZMScore(c *conn, args [][]byte) {
	ms := args[2:]
	scores, found := make([]float64, len(ms)), make([]bool, len(ms))
	if err := c.db.ZScore(args[1], ms, func(i int, v float64, ok bool) { scores[i], found[i] = v, ok }); err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteArray(len(ms))
	for i := range ms {
		if found[i] {
			c.w.WriteDouble(scores[i])
		} else {
			c.w.WriteNull()
		}
	}
}

// cmdZRank is ZRANK and ZREVRANK.
func cmdZRank(c *conn, args [][]byte) {
	rank, _, ok, err := c.db.ZRank(args[1], args[2], len(args[0]) == 8)
	if err != nil {
		c.replyErr(err)
		return
	}
	if !ok {
		c.w.WriteNull()
		return
	}
	c.w.WriteInt(int64(rank))
}

func cmdZRem(c *conn, args [][]byte) {
	n, err := c.db.ZRem(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		zremoveEvent(c, "zrem", args[1])
	}
	c.w.WriteInt(int64(n))
}

// cmdZPop is ZPOPMIN / ZPOPMAX key [count].
func cmdZPop(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.replyErrString(syntaxErr)
		return
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := rstrconv.ParseInt(args[2])
		if !ok || n < 0 {
			c.replyErrString(zPositiveErr)
			return
		}
		count = n
	}
	isMax := args[0][5]|0x20 == 'a'
	out, err := c.db.ZPop(args[1], int(min(count, math.MaxInt32)), isMax)
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(out) > 0 {
		ev := "zpopmin"
		if isMax {
			ev = "zpopmax"
		}
		zremoveEvent(c, ev, args[1])
	}
	if len(args) == 2 && c.proto() == 3 { // one pair, flat
		c.w.WriteArray(2 * len(out))
		for _, e := range out {
			c.w.WriteBulk(e.Member)
			c.w.WriteDouble(e.Score)
		}
		return
	}
	writeZEntries(c, out, true)
}

// cmdZMPop is ZMPOP numkeys key... MIN|MAX [COUNT count]: pops from the
// first key that is not empty.
func cmdZMPop(c *conn, args [][]byte) {
	n, ok := rstrconv.ParseInt(args[1])
	if !ok || n < 1 {
		c.replyErrString("ERR numkeys should be greater than 0")
		return
	}
	if n >= int64(len(args)-2) {
		c.replyErrString(syntaxErr)
		return
	}
	keys, rest := args[2:2+n], args[2+n:]
	isMax := equalFoldStr(rest[0], "max")
	if !isMax && !equalFoldStr(rest[0], "min") {
		c.replyErrString(syntaxErr)
		return
	}
	count := int64(-1)
	for j := 1; j < len(rest); j++ {
		if count != -1 || !equalFoldStr(rest[j], "count") || j+1 >= len(rest) {
			c.replyErrString(syntaxErr)
			return
		}
		j++
		if count, ok = rstrconv.ParseInt(rest[j]); !ok || count < 1 {
			c.replyErrString("ERR count should be greater than 0")
			return
		}
	}
	for _, key := range keys {
		out, err := c.db.ZPop(key, int(min(max(count, 1), math.MaxInt32)), isMax)
		if err != nil {
			c.replyErr(err)
			return
		}
		if len(out) == 0 {
			continue
		}
		ev := "zpopmin"
		if isMax {
			ev = "zpopmax"
		}
		zremoveEvent(c, ev, key)
		c.w.WriteArray(2)
		c.w.WriteBulk(key)
		c.w.WriteArray(len(out))
		for _, e := range out {
			c.w.WriteArray(2)
			c.w.WriteBulk(e.Member)
			c.w.WriteDouble(e.Score)
		}
		return
	}
	c.w.WriteNullArray()
}

// cmdZRandMember is ZRANDMEMBER key [count [WITHSCORES]].
func cmdZRandMember(c *conn, args [][]byte) {
	if len(args) > 4 || len(args) == 4 && !equalFoldStr(args[3], "withscores") {
		c.replyErrString(syntaxErr)
		return
	}
	count := int64(1)
	if len(args) >= 3 {
		n, ok := parseRandomCount(c, args[2])
		if !ok {
			return
		}
		count = n
	}
	out, err := c.db.ZRandMember(args[1], count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(args) == 2 {
		if len(out) == 0 {
			c.w.WriteNull()
			return
		}
		c.w.WriteBulk(out[0].Member)
		return
	}
	writeZEntries(c, out, len(args) == 4)
}

// cmdZScan is ZSCAN key cursor [MATCH pattern] [COUNT count] [NOSCORES]
// (NOSCORES as Redis 8 / Valkey 8; Redis 7.0 has no such option).
func cmdZScan(c *conn, args [][]byte) {
	noScores := false
	if n := len(args); n > 3 && n%2 == 0 && equalFoldStr(args[n-1], "noscores") {
		noScores, args = true, args[:n-1]
	}
	cursor, o, _, ok := parseTypeScan(c, args, false)
	if !ok {
		return
	}
	out, next, err := c.db.ZScan(args[1], cursor, o.match, o.count)
	if err != nil {
		c.replyErr(err)
		return
	}
	ms, ss := make([][]byte, len(out)), make([][]byte, len(out))
	for i, e := range out {
		ms[i], ss[i] = e.Member, resp.AppendDouble(nil, e.Score)
	}
	if noScores {
		ss = nil
	}
	replyScan(c, next, ms, ss)
}

// cmdZInterCard is ZINTERCARD numkeys key... [LIMIT limit].
func cmdZInterCard(c *conn, args [][]byte) {
	keys, ok := parseNumKeys(c, args, 1, "zintercard")
	if !ok {
		return
	}
	rest := args[2+len(keys):]
	limit := int64(0)
	for len(rest) > 0 {
		if len(rest) < 2 || !equalFoldStr(rest[0], "limit") {
			c.replyErrString(syntaxErr)
			return
		}
		l, ok := rstrconv.ParseInt(rest[1])
		if !ok || l < 0 {
			c.replyErrString("ERR LIMIT can't be negative")
			return
		}
		limit, rest = l, rest[2:]
	}
	out, err := c.db.ZCompute(store.ZAlgebra{Op: store.SetInter, Limit: int(min(limit, math.MaxInt32))}, keys)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(len(out)))
}
