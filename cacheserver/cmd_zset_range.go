package cacheserver

// The ZRANGE family (Redis 7.0's zrangeGenericCommand: one parser for
// ZRANGE, ZRANGESTORE and the legacy forms), ZCOUNT/ZLEXCOUNT,
// ZREMRANGEBY* and ZUNION/ZINTER/ZDIFF (+STORE).

import (
	"strings"

	"github.com/ringcache/ringcache/internal/store"
)

// zrangeForm is what a ZRANGE-family command fixes before its options.
type zrangeForm struct {
	by       store.ZBy
	byFixed  bool // BYSCORE/BYLEX not accepted as options
	rev      bool
	revFixed bool
	store    bool
	keyArgs  int // arguments before min and max (name, key[, dst])
}

func zrangeFormOf(name string) zrangeForm {
	switch strings.ToLower(name) {
	case "zrangestore":
		return zrangeForm{store: true, keyArgs: 3}
	case "zrangebyscore":
		return zrangeForm{by: store.ZByScore, byFixed: true, revFixed: true, keyArgs: 2}
	case "zrevrangebyscore":
		return zrangeForm{by: store.ZByScore, byFixed: true, rev: true, revFixed: true, keyArgs: 2}
	case "zrangebylex":
		return zrangeForm{by: store.ZByLex, byFixed: true, revFixed: true, keyArgs: 2}
	case "zrevrangebylex":
		return zrangeForm{by: store.ZByLex, byFixed: true, rev: true, revFixed: true, keyArgs: 2}
	case "zrevrange":
		return zrangeForm{byFixed: true, rev: true, revFixed: true, keyArgs: 2}
	}
	return zrangeForm{keyArgs: 2}
}

// cmdZRange is every ZRANGE form.
func cmdZRange(c *conn, args [][]byte) {
	f := zrangeFormOf(string(args[0]))
	q := store.ZRangeSpec{By: f.by, Rev: f.rev, Count: -1}
	withScores, limited := false, false
	for j := f.keyArgs + 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case !f.store && equalFoldStr(a, "withscores"):
			withScores = true
		case equalFoldStr(a, "limit") && left >= 2:
			var ok bool
			if q.Offset, ok = parseInt(c, args[j+1]); !ok {
				return
			}
			if q.Count, ok = parseInt(c, args[j+2]); !ok {
				return
			}
			limited, j = q.Count != -1, j+2
		case !f.revFixed && !q.Rev && equalFoldStr(a, "rev"):
			q.Rev = true
		case !f.byFixed && q.By == store.ZByRank && equalFoldStr(a, "bylex"):
			q.By = store.ZByLex
		case !f.byFixed && q.By == store.ZByRank && equalFoldStr(a, "byscore"):
			q.By = store.ZByScore
		default:
			c.replyErrString(syntaxErr)
			return
		}
	}
	if limited && q.By == store.ZByRank {
		c.replyErrString(zLimitRankErr)
		return
	}
	if withScores && q.By == store.ZByLex {
		c.replyErrString(zScoresLexErr)
		return
	}
	lo, hi := args[f.keyArgs], args[f.keyArgs+1]
	if q.Rev && q.By != store.ZByRank {
		lo, hi = hi, lo
	}
	if !parseZRangeBounds(c, &q, lo, hi) {
		return
	}
	if f.store {
		zrangeStore(c, args[1], args[2], q)
		return
	}
	out, err := c.db.ZRange(args[1], q)
	if err != nil {
		c.replyErr(err)
		return
	}
	writeZEntries(c, out, withScores)
}

func zrangeStore(c *conn, dst, src []byte, q store.ZRangeSpec) {
	existed := c.db.Type(dst) != "none"
	n, err := c.db.ZRangeStore(dst, src, q)
	if err != nil {
		c.replyErr(err)
		return
	}
	storeEvent(c, "zrangestore", dst, n, existed)
	c.w.WriteInt(int64(n))
}

// storeEvent notifies a *STORE's result: "new" when it created dst and
// the event when it stored something, "del" when it deleted an existing destination.
func storeEvent(c *conn, event string, dst []byte, n int, existed bool) {
	switch {
	case n > 0:
		c.notifyNew(!existed, dst)
		typeEvent(c, event, dst)
	case existed:
		c.notify(ntfGeneric, "del", dst)
	}
}

// cmdZCount is ZCOUNT and ZLEXCOUNT.
func cmdZCount(c *conn, args [][]byte) {
	q := store.ZRangeSpec{By: store.ZByScore, Count: -1}
	if len(args[0]) == 9 { // zlexcount
		q.By = store.ZByLex
	}
	if !parseZRangeBounds(c, &q, args[2], args[3]) {
		return
	}
	n, err := c.db.ZCount(args[1], q)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(n))
}

// cmdZRemRange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func cmdZRemRange(c *conn, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	q := store.ZRangeSpec{Count: -1}
	switch name {
	case "zremrangebyscore":
		q.By = store.ZByScore
	case "zremrangebylex":
		q.By = store.ZByLex
	}
	if !parseZRangeBounds(c, &q, args[2], args[3]) {
		return
	}
	n, err := c.db.ZRemRange(args[1], q)
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		zremoveEvent(c, name, args[1])
	}
	c.w.WriteInt(int64(n))
}

// cmdZAlgebra is ZUNION/ZINTER/ZDIFF numkeys key... and their STORE forms
// (dst first), with WEIGHTS, AGGREGATE and (not STORE) WITHSCORES.
func cmdZAlgebra(c *conn, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	isStore := strings.HasSuffix(name, "store")
	q := store.ZAlgebra{Op: setOpOf(args[0])}
	ni := 1
	if isStore {
		ni = 2
	}
	keys, ok := parseNumKeys(c, args, ni, name)
	if !ok {
		return
	}
	withScores, ok := parseZAlgebraOpts(c, &q, args[ni+1+len(keys):], len(keys), isStore)
	if !ok {
		return
	}
	if !isStore {
		out, err := c.db.ZCompute(q, keys)
		if err != nil {
			c.replyErr(err)
			return
		}
		writeZEntries(c, out, withScores)
		return
	}
	existed := c.db.Type(args[1]) != "none"
	cnt, err := c.db.ZStore(q, args[1], keys)
	if err != nil {
		c.replyErr(err)
		return
	}
	storeEvent(c, name, args[1], cnt, existed)
	c.w.WriteInt(int64(cnt))
}

// parseNumKeys parses numkeys at args[ni] and returns the keys after it.
func parseNumKeys(c *conn, args [][]byte, ni int, name string) ([][]byte, bool) {
	n, ok := parseInt(c, args[ni])
	if !ok {
		return nil, false
	}
	if n < 1 {
		c.replyErrString("ERR at least 1 input key is needed for '" + name + "' command")
		return nil, false
	}
	if n > int64(len(args)-ni-1) {
		c.replyErrString(syntaxErr)
		return nil, false
	}
	return args[ni+1 : ni+1+int(n)], true
}

// parseZAlgebraOpts parses WEIGHTS, AGGREGATE and WITHSCORES (Redis
// checks WRONGTYPE first; the store does it after, a difference only in
// which error a command with both faults gets).
func parseZAlgebraOpts(c *conn, q *store.ZAlgebra, rest [][]byte, nkeys int, isStore bool) (withScores, ok bool) {
	for len(rest) > 0 {
		switch {
		case q.Op != store.SetDiff && len(rest) >= nkeys+1 && equalFoldStr(rest[0], "weights"):
			q.Weights = make([]float64, nkeys)
			for i := range q.Weights {
				w, ok := parseScore(rest[1+i])
				if !ok {
					c.replyErrString(zWeightErr)
					return false, false
				}
				q.Weights[i] = w
			}
			rest = rest[nkeys+1:]
		case q.Op != store.SetDiff && len(rest) >= 2 && equalFoldStr(rest[0], "aggregate"):
			switch {
			case equalFoldStr(rest[1], "sum"):
				q.Agg = store.ZSum
			case equalFoldStr(rest[1], "min"):
				q.Agg = store.ZMin
			case equalFoldStr(rest[1], "max"):
				q.Agg = store.ZMax
			default:
				c.replyErrString(syntaxErr)
				return false, false
			}
			rest = rest[2:]
		case !isStore && equalFoldStr(rest[0], "withscores"):
			withScores, rest = true, rest[1:]
		default:
			c.replyErrString(syntaxErr)
			return false, false
		}
	}
	return withScores, true
}
