package cacheserver

// Set commands, as Redis 7 answers them. Multi-key forms need all keys in
// one slot (CROSSSLOT otherwise, as Redis Cluster; forward mode does not
// split them: a union or difference over several owners would not be one
// atomic answer).

import (
	"math"

	"github.com/ringcache/ringcache/internal/rstrconv"
	"github.com/ringcache/ringcache/internal/store"
)

func setCmd(name string, arity int, flags []string, first, last int, acl []string, since, summary string, h func(*conn, [][]byte)) *command {
	return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, step: 1,
		acl: []string{acl[0], "@set", acl[1]}, group: "set", since: since, summary: summary, handler: h}
}

var (
	wDeny  = []string{"write", "denyoom"}
	aWSlow = []string{"@write", "@slow"}
)

func setCommands() []*command {
	sintercard := setCmd("sintercard", -3, []string{"readonly", "movablekeys"}, 2, -1, aRSlow, "7.0.0",
		"Intersect multiple sets and return the cardinality of the result", cmdSInterCard)
	sintercard.keysFn = sinterCardKeys
	return []*command{
		setCmd("sadd", -3, wDenyFast, 1, 1, aWFast, "1.0.0", "Add one or more members to a set", cmdSAdd),
		setCmd("srem", -3, wFast, 1, 1, aWFast, "1.0.0", "Remove one or more members from a set", cmdSRem),
		setCmd("sismember", 3, rFast, 1, 1, aRFast, "1.0.0", "Determine if a given value is a member of a set", cmdSIsMember),
		setCmd("smismember", -3, rFast, 1, 1, aRFast, "6.2.0", "Returns the membership associated with the given elements for a set", cmdSMIsMember),
		setCmd("smembers", 2, rSlow, 1, 1, aRSlow, "1.0.0", "Get all the members in a set", cmdSMembers),
		setCmd("scard", 2, rFast, 1, 1, aRFast, "1.0.0", "Get the number of members in a set", cmdSCard),
		setCmd("spop", -2, wFast, 1, 1, aWFast, "1.0.0", "Remove and return one or multiple random members from a set", cmdSPop),
		setCmd("srandmember", -2, rSlow, 1, 1, aRSlow, "1.0.0", "Get one or multiple random members from a set", cmdSRandMember),
		setCmd("smove", 4, wFast, 1, 2, aWFast, "1.0.0", "Move a member from one set to another", cmdSMove),
		setCmd("sinter", -2, rSlow, 1, -1, aRSlow, "1.0.0", "Intersect multiple sets", cmdSetOp),
		setCmd("sunion", -2, rSlow, 1, -1, aRSlow, "1.0.0", "Add multiple sets", cmdSetOp),
		setCmd("sdiff", -2, rSlow, 1, -1, aRSlow, "1.0.0", "Subtract multiple sets", cmdSetOp),
		setCmd("sinterstore", -3, wDeny, 1, -1, aWSlow, "1.0.0", "Intersect multiple sets and store the resulting set in a key", cmdSetOpStore),
		setCmd("sunionstore", -3, wDeny, 1, -1, aWSlow, "1.0.0", "Add multiple sets and store the resulting set in a key", cmdSetOpStore),
		setCmd("sdiffstore", -3, wDeny, 1, -1, aWSlow, "1.0.0", "Subtract multiple sets and store the resulting set in a key", cmdSetOpStore),
		sintercard,
		setCmd("sscan", -3, rSlow, 1, 1, aRSlow, "2.8.0", "Incrementally iterate Set elements", cmdSScan),
	}
}

func cmdSAdd(c *conn, args [][]byte) {
	n, err := c.db.SAdd(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		typeEvent(c, "sadd", args[1])
	}
	c.w.WriteInt(int64(n))
}

func cmdSRem(c *conn, args [][]byte) {
	n, err := c.db.SRem(args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		typeEvent(c, "srem", args[1])
	}
	c.w.WriteInt(int64(n))
}

func cmdSIsMember(c *conn, args [][]byte) {
	var in bool
	if err := c.db.SIsMember(args[1], args[2:3], func(_ int, ok bool) { in = ok }); err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(boolInt(in))
}

func cmdSMIsMember(c *conn, args [][]byte) {
	in := make([]bool, len(args)-2)
	if err := c.db.SIsMember(args[1], args[2:], func(i int, ok bool) { in[i] = ok }); err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteArray(len(in))
	for _, ok := range in {
		c.w.WriteInt(boolInt(ok))
	}
}

func cmdSMembers(c *conn, args [][]byte) {
	var out [][]byte
	err := c.db.SMembers(args[1], func(n int) { out = make([][]byte, 0, n) }, func(m []byte) {
		out = append(out, append([]byte(nil), m...))
	})
	if err != nil {
		c.replyErr(err)
		return
	}
	replyStrings(c, out, true)
}

func cmdSCard(c *conn, args [][]byte) {
	n, err := c.db.SCard(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(n))
}

// cmdSPop is SPOP key [count].
func cmdSPop(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.replyErrString(syntaxErr)
		return
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := rstrconv.ParseInt(args[2])
		if !ok || n < 0 {
			c.replyErrString("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	out, err := c.db.SPop(args[1], count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(out) > 0 {
		typeEvent(c, "spop", args[1])
	}
	if len(args) == 2 {
		writeBulkOrNull(c, first(out), len(out) > 0)
		return
	}
	replyStrings(c, out, true)
}

// cmdSRandMember is SRANDMEMBER key [count].
func cmdSRandMember(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.replyErrString(syntaxErr)
		return
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := parseRandomCount(c, args[2])
		if !ok {
			return
		}
		count = n
	}
	out, err := c.db.SRandMember(args[1], count)
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(args) == 2 {
		writeBulkOrNull(c, first(out), len(out) > 0)
		return
	}
	replyStrings(c, out, false)
}

func cmdSMove(c *conn, args [][]byte) {
	if !c.sameSlot(args[1], args[2]) {
		return
	}
	moved, err := c.db.SMove(args[1], args[2], args[3])
	if err != nil {
		c.replyErr(err)
		return
	}
	if moved {
		typeEvent(c, "srem", args[1])
		typeEvent(c, "sadd", args[2])
	}
	c.w.WriteInt(boolInt(moved))
}

// setOpOf maps SINTER/SUNION/SDIFF (and their STORE forms) to the store's op.
func setOpOf(name []byte) store.SetOp {
	switch name[1] | 0x20 {
	case 'i':
		return store.SetInter
	case 'u':
		return store.SetUnion
	}
	return store.SetDiff
}

func cmdSetOp(c *conn, args [][]byte) {
	out, err := c.db.SetCompute(setOpOf(args[0]), args[1:], 0)
	if err != nil {
		c.replyErr(err)
		return
	}
	replyStrings(c, out, true)
}

func cmdSetOpStore(c *conn, args [][]byte) {
	n, err := c.db.SetStore(setOpOf(args[0]), args[1], args[2:])
	if err != nil {
		c.replyErr(err)
		return
	}
	typeEvent(c, string(args[0]), args[1])
	c.w.WriteInt(int64(n))
}

// sinterCardKeys returns SINTERCARD's keys: numkeys of them after it.
func sinterCardKeys(args [][]byte) [][]byte {
	if len(args) < 3 {
		return nil
	}
	n, ok := rstrconv.ParseInt(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return nil
	}
	return args[2 : 2+n]
}

// cmdSInterCard is SINTERCARD numkeys key... [LIMIT limit].
func cmdSInterCard(c *conn, args [][]byte) {
	n, ok := rstrconv.ParseInt(args[1])
	if !ok || n <= 0 {
		c.replyErrString("ERR numkeys should be greater than 0")
		return
	}
	if n > int64(len(args)-2) {
		c.replyErrString("ERR Number of keys can't be greater than number of args")
		return
	}
	keys, rest := args[2:2+n], args[2+n:]
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
	out, err := c.db.SetCompute(store.SetInter, keys, int(min(limit, math.MaxInt32)))
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(len(out)))
}

func cmdSScan(c *conn, args [][]byte) {
	cursor, o, _, ok := parseTypeScan(c, args, false)
	if !ok {
		return
	}
	out, next, err := c.db.SScan(args[1], cursor, o.match, o.count)
	if err != nil {
		c.replyErr(err)
		return
	}
	replyScan(c, next, out, nil)
}
