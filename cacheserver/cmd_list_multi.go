package cacheserver

// LPOS (options) and the list commands that move elements between keys:
// LMOVE, RPOPLPUSH, LMPOP.

import (
	"strings"

	"github.com/ringcache/ringcache/internal/rstrconv"
)

// cmdLPos is LPOS key element [RANK rank] [COUNT num] [MAXLEN len].
func cmdLPos(c *conn, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		opt := strings.ToLower(string(args[j]))
		if j+1 >= len(args) || opt != "rank" && opt != "count" && opt != "maxlen" {
			c.replyErrString(syntaxErr)
			return
		}
		j++
		n, ok := rstrconv.ParseInt(args[j])
		switch {
		case opt == "rank" && !ok:
			c.replyErrString(notIntegerErr)
			return
		case opt == "rank" && n == -1<<63: // Redis 7.0 negates it, overflowing: every match is taken from the back
			rank = -1
		case opt == "rank" && n == 0:
			c.replyErrString("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... " +
				"or use negative to start from the end of the list")
			return
		case opt == "rank":
			rank = n
		case !ok || n < 0:
			c.replyErrString("ERR " + strings.ToUpper(opt) + " can't be negative")
			return
		case opt == "count":
			count = n
		default:
			maxlen = n
		}
	}
	pos, _, err := c.db.LPos(args[1], args[2], rank, max(count, 0), maxlen)
	if err != nil {
		c.replyErr(err)
		return
	}
	if count < 0 {
		if len(pos) == 0 {
			c.w.WriteNull()
		} else {
			c.w.WriteInt(pos[0])
		}
		return
	}
	c.w.WriteArray(len(pos))
	for _, p := range pos {
		c.w.WriteInt(p)
	}
}

// listWhere parses LEFT/RIGHT: front, ok.
func listWhere(b []byte) (bool, bool) {
	switch strings.ToLower(string(b)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	return false, false
}

// cmdLMove is LMOVE src dst LEFT|RIGHT LEFT|RIGHT and RPOPLPUSH src dst.
func cmdLMove(c *conn, args [][]byte) {
	from, to := false, true // RPOPLPUSH
	if len(args) == 5 {
		var ok1, ok2 bool
		from, ok1 = listWhere(args[3])
		to, ok2 = listWhere(args[4])
		if !ok1 || !ok2 {
			c.replyErrString(syntaxErr)
			return
		}
	}
	src, dst := args[1], args[2]
	if !c.sameSlot(src, dst) {
		return
	}
	absent := string(src) != string(dst) && c.keyAbsent(dst)
	e, ok, left, err := c.db.LMove(src, dst, from, to)
	if err != nil {
		c.replyErr(err)
		return
	}
	if ok {
		c.notifyNew(absent, dst)
		c.notify(ntfList, map[bool]string{true: "lpush", false: "rpush"}[to], dst)
		listEvent(c, map[bool]string{true: "lpop", false: "rpop"}[from], src, left)
	}
	writeBulkOrNull(c, e, ok)
}

// cmdLMPop is LMPOP numkeys key... LEFT|RIGHT [COUNT count].
func cmdLMPop(c *conn, args [][]byte) {
	keys, front, count, ok := parseMPop(c, args, 1)
	if !ok {
		return
	}
	key, out, left, err := c.db.LMPop(keys, front, int(min(count, 1<<31)))
	if err != nil {
		c.replyErr(err)
		return
	}
	replyMPop(c, key, out, front, left)
}

// parseMPop parses [B]LMPOP's arguments from numkeys at args[i].
func parseMPop(c *conn, args [][]byte, i int) (keys [][]byte, front bool, count int64, ok bool) {
	n, isInt := rstrconv.ParseInt(args[i])
	if !isInt || n < 1 {
		c.replyErrString("ERR numkeys should be greater than 0")
		return nil, false, 0, false
	}
	where := int64(i) + n + 1
	if where >= int64(len(args)) {
		c.replyErrString(syntaxErr)
		return nil, false, 0, false
	}
	if front, ok = listWhere(args[where]); !ok {
		c.replyErrString(syntaxErr)
		return nil, false, 0, false
	}
	count = -1
	for j := int(where) + 1; j < len(args); j++ {
		if count != -1 || !strings.EqualFold(string(args[j]), "count") || j+1 >= len(args) {
			c.replyErrString(syntaxErr)
			return nil, false, 0, false
		}
		j++
		if count, isInt = rstrconv.ParseInt(args[j]); !isInt || count < 1 {
			c.replyErrString("ERR count should be greater than 0")
			return nil, false, 0, false
		}
	}
	keys = args[i+1 : where]
	if !c.sameSlotAll(keys) {
		return nil, false, 0, false
	}
	return keys, front, max(count, 1), true
}

// sameSlotAll replies CROSSSLOT unless every key is in one slot.
func (c *conn) sameSlotAll(keys [][]byte) bool {
	for _, k := range keys[1:] {
		if !c.sameSlot(keys[0], k) {
			return false
		}
	}
	return true
}

// replyMPop replies [key, [elements]] (the null array when key is nil) and
// emits the pop's events.
func replyMPop(c *conn, key []byte, out [][]byte, front bool, left int) {
	if key == nil {
		c.w.WriteNullArray()
		return
	}
	listEvent(c, map[bool]string{true: "lpop", false: "rpop"}[front], key, left)
	c.w.WriteArray(2)
	c.w.WriteBulk(key)
	replyStrings(c, out, false)
}
