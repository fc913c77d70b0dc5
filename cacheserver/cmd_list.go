package cacheserver

// List commands, as Redis 7.0 answers them. The list itself (listpack-like
// small encoding, quicklist-like chunked deque) is the store's
// (internal/store/list*.go). Multi-key forms (LMOVE, RPOPLPUSH, LMPOP) need
// all keys in one slot (CROSSSLOT otherwise, as Redis Cluster). Events are
// Redis's: the command's own (lpush, rpop, ltrim, ...), then del when the
// list was emptied.

import (
	"strings"

	"github.com/ringcache/ringcache/internal/rstrconv"
)

func listCmd(name string, arity int, flags []string, first, last int, acl []string, since, summary string, h func(*conn, [][]byte)) *command {
	return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, step: 1,
		acl: []string{acl[0], "@list", acl[1]}, group: "list", since: since, summary: summary, handler: h}
}

func listCommands() []*command {
	lmpop := listCmd("lmpop", -4, []string{"write", "movablekeys"}, 2, -1, aWSlow, "7.0.0",
		"Pop elements from a list", cmdLMPop)
	lmpop.keysFn = numKeysKeys(1)
	return []*command{
		listCmd("lpush", -3, wDenyFast, 1, 1, aWFast, "1.0.0", "Prepend one or multiple elements to a list", cmdPush),
		listCmd("rpush", -3, wDenyFast, 1, 1, aWFast, "1.0.0", "Append one or multiple elements to a list", cmdPush),
		listCmd("lpushx", -3, wDenyFast, 1, 1, aWFast, "2.2.0", "Prepend an element to a list, only if the list exists", cmdPush),
		listCmd("rpushx", -3, wDenyFast, 1, 1, aWFast, "2.2.0", "Append an element to a list, only if the list exists", cmdPush),
		listCmd("lpop", -2, wFast, 1, 1, aWFast, "1.0.0", "Remove and get the first elements in a list", cmdPop),
		listCmd("rpop", -2, wFast, 1, 1, aWFast, "1.0.0", "Remove and get the last elements in a list", cmdPop),
		listCmd("llen", 2, rFast, 1, 1, aRFast, "1.0.0", "Get the length of a list", cmdLLen),
		listCmd("lrange", 4, rSlow, 1, 1, aRSlow, "1.0.0", "Get a range of elements from a list", cmdLRange),
		listCmd("lindex", 3, rSlow, 1, 1, aRSlow, "1.0.0", "Get an element from a list by its index", cmdLIndex),
		listCmd("lset", 4, wDeny, 1, 1, aWSlow, "1.0.0", "Set the value of an element in a list by its index", cmdLSet),
		listCmd("linsert", 5, wDeny, 1, 1, aWSlow, "2.2.0", "Insert an element before or after another element in a list", cmdLInsert),
		listCmd("lrem", 4, []string{"write"}, 1, 1, aWSlow, "1.0.0", "Remove elements from a list", cmdLRem),
		listCmd("ltrim", 4, []string{"write"}, 1, 1, aWSlow, "1.0.0", "Trim a list to the specified range", cmdLTrim),
		listCmd("lpos", -3, rSlow, 1, 1, aRSlow, "6.0.6", "Return the index of matching elements on a list", cmdLPos),
		listCmd("lmove", 5, wDeny, 1, 2, aWSlow, "6.2.0", "Pop an element from a list, push it to another list and return it", cmdLMove),
		listCmd("rpoplpush", 3, wDeny, 1, 2, aWSlow, "1.2.0", "Remove the last element in a list, prepend it to another list and return it", cmdLMove),
		lmpop,
	}
}

// numKeysKeys returns the keysFn of a command whose argument at i is
// numkeys followed by the keys (LMPOP, BLMPOP).
func numKeysKeys(i int) func(args [][]byte) [][]byte {
	return func(args [][]byte) [][]byte {
		if len(args) <= i+1 {
			return nil
		}
		n, ok := rstrconv.ParseInt(args[i])
		if !ok || n < 1 || n > int64(len(args)-i-1) {
			return nil
		}
		return args[i+1 : i+1+int(n)]
	}
}

// listEvent emits a list event on key, then del when left is 0 (the
// command emptied the list, which deleted it).
func listEvent(c *conn, event string, key []byte, left int) {
	c.notify(ntfList, event, key)
	if left == 0 {
		c.notify(ntfGeneric, "del", key)
	}
}

// cmdPush is LPUSH, RPUSH, LPUSHX and RPUSHX.
func cmdPush(c *conn, args [][]byte) {
	name := args[0]
	front, xx := name[0]|0x20 == 'l', len(name) == 6
	absent := c.keyAbsent(args[1])
	n, err := c.db.LPush(args[1], args[2:], front, xx)
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		c.notifyNew(absent, args[1])
		c.notify(ntfList, map[bool]string{true: "lpush", false: "rpush"}[front], args[1])
	}
	c.w.WriteInt(int64(n))
}

// cmdPop is LPOP/RPOP key [count].
func cmdPop(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.replyErrString(arityErr(strings.ToLower(string(args[0]))))
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
	front := args[0][0]|0x20 == 'l'
	out, left, exists, err := c.db.LPop(args[1], front, int(min(count, 1<<31)))
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(out) > 0 {
		listEvent(c, map[bool]string{true: "lpop", false: "rpop"}[front], args[1], left)
	}
	switch {
	case len(args) == 2:
		writeBulkOrNull(c, first(out), len(out) > 0)
	case !exists:
		c.w.WriteNullArray()
	default:
		replyStrings(c, out, false)
	}
}

func cmdLLen(c *conn, args [][]byte) {
	n, err := c.db.LLen(args[1])
	if err != nil {
		c.replyErr(err)
		return
	}
	c.w.WriteInt(int64(n))
}

func cmdLRange(c *conn, args [][]byte) {
	start, ok := parseInt(c, args[2])
	if !ok {
		return
	}
	stop, ok := parseInt(c, args[3])
	if !ok {
		return
	}
	started := false // the elements are written under the key's lock, without copies
	err := c.db.LRange(args[1], start, stop, func(n int, e []byte) {
		if !started {
			c.w.WriteArray(n)
			started = true
		}
		c.w.WriteBulk(e)
	})
	if err != nil {
		c.replyErr(err)
		return
	}
	if !started {
		c.w.WriteArray(0)
	}
}

func cmdLIndex(c *conn, args [][]byte) {
	i, ok := parseInt(c, args[2])
	if !ok {
		return
	}
	v, found, err := c.db.LIndex(args[1], i)
	if err != nil {
		c.replyErr(err)
		return
	}
	writeBulkOrNull(c, v, found)
}

func cmdLSet(c *conn, args [][]byte) {
	i, ok := parseInt(c, args[2])
	if !ok {
		return
	}
	if err := c.db.LSet(args[1], i, args[3]); err != nil {
		c.replyErr(err)
		return
	}
	c.notify(ntfList, "lset", args[1])
	c.w.WriteSimple("OK")
}

// cmdLInsert is LINSERT key BEFORE|AFTER pivot element.
func cmdLInsert(c *conn, args [][]byte) {
	var after bool
	switch strings.ToLower(string(args[2])) {
	case "before":
	case "after":
		after = true
	default:
		c.replyErrString(syntaxErr)
		return
	}
	n, err := c.db.LInsert(args[1], after, args[3], args[4])
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		c.notify(ntfList, "linsert", args[1])
	}
	c.w.WriteInt(int64(n))
}

func cmdLRem(c *conn, args [][]byte) {
	count, ok := parseInt(c, args[2])
	if !ok {
		return
	}
	n, left, err := c.db.LRem(args[1], count, args[3])
	if err != nil {
		c.replyErr(err)
		return
	}
	if n > 0 {
		listEvent(c, "lrem", args[1], left)
	}
	c.w.WriteInt(int64(n))
}

func cmdLTrim(c *conn, args [][]byte) {
	start, ok := parseInt(c, args[2])
	if !ok {
		return
	}
	stop, ok := parseInt(c, args[3])
	if !ok {
		return
	}
	left, exists, err := c.db.LTrim(args[1], start, stop)
	if err != nil {
		c.replyErr(err)
		return
	}
	if exists {
		listEvent(c, "ltrim", args[1], left)
	}
	c.w.WriteSimple("OK")
}
