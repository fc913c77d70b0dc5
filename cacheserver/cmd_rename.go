package cacheserver

// RENAME, RENAMENX and COPY move or copy a value with its TTL, atomically:
// both keys must be in one slot (as transactions here, and as Redis
// Cluster requires; a standalone Redis would also accept two slots), so the
// whole operation runs under that slot's lock (or inside the running EXEC).

import (
	"strconv"
	"strings"

	"github.com/ringcache/ringcache/ring"
)

func renameCommands() []*command {
	return []*command{
		{name: "rename", arity: 3, flags: []string{"write"}, firstKey: 1, lastKey: 2, step: 1,
			acl: []string{"@keyspace", "@write", "@slow"}, group: "generic", since: "1.0.0",
			summary: "Rename a key", handler: cmdRename},
		{name: "renamenx", arity: 3, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 2, step: 1,
			acl: []string{"@keyspace", "@write", "@fast"}, group: "generic", since: "1.0.0",
			summary: "Rename a key, only if the new key does not exist", handler: cmdRename},
		{name: "copy", arity: -3, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 2, step: 1,
			acl: []string{"@keyspace", "@write", "@slow"}, group: "generic", since: "6.2.0",
			summary: "Copy a key", handler: cmdCopy},
	}
}

const (
	noSuchKeyErr  = "ERR no such key"
	sameObjectErr = "ERR source and destination objects are the same"
)

// transferResult is what transfer did.
type transferResult int

const (
	transferNoSource transferResult = iota // src missing
	transferExists                         // dst exists and may not be overwritten
	transferDone
)

// transfer copies src's value (of any kind) and TTL to dst (overwriting it
// only when overwrite), then deletes src when move, atomically in the keys'
// slot (store Transfer; inside EXEC, in the running transaction).
func (c *conn) transfer(src, dst []byte, move, overwrite bool) (transferResult, error) {
	found, done, err := c.db.Transfer(src, dst, move, overwrite)
	switch {
	case !found:
		return transferNoSource, err
	case !done:
		return transferExists, err
	}
	return transferDone, err
}

// sameSlot refuses (CROSSSLOT) keys of two slots.
func (c *conn) sameSlot(a, b []byte) bool {
	if ring.KeySlotBytes(a) != ring.KeySlotBytes(b) {
		c.replyErrString(crossSlotErr)
		return false
	}
	return true
}

func cmdRename(c *conn, args [][]byte) {
	nx := len(args[0]) == 8 // RENAMENX
	src, dst := args[1], args[2]
	if !c.sameSlot(src, dst) {
		return
	}
	if string(src) == string(dst) { // Redis: OK (RENAMENX: 0) if it exists
		switch {
		case !c.db.Exists(src):
			c.replyErrString(noSuchKeyErr)
		case nx:
			c.w.WriteInt(0)
		default:
			c.w.WriteSimple("OK")
		}
		return
	}
	res, err := c.transfer(src, dst, true, !nx)
	switch {
	case err != nil:
		c.replyErr(err)
	case res == transferNoSource:
		c.replyErrString(noSuchKeyErr)
	case nx:
		if res == transferDone {
			c.notifyRename(src, dst)
		}
		c.w.WriteInt(int64(res - transferExists))
	default:
		c.notifyRename(src, dst)
		c.w.WriteSimple("OK")
	}
}

// cmdCopy is COPY src dst [DB 0] [REPLACE].
func cmdCopy(c *conn, args [][]byte) {
	replace := false
	for i := 3; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "replace":
			replace = true
		case opt == "db" && i+1 < len(args):
			i++
			db, err := strconv.ParseInt(string(args[i]), 10, 32)
			if err != nil {
				c.replyErrString("ERR value is not an integer or out of range")
				return
			}
			if db != 0 {
				c.replyErrString(dbIndexErr)
				return
			}
		default:
			c.replyErrString(syntaxErr)
			return
		}
	}
	if string(args[1]) == string(args[2]) {
		c.replyErrString(sameObjectErr)
		return
	}
	if !c.sameSlot(args[1], args[2]) {
		return
	}
	res, err := c.transfer(args[1], args[2], false, replace)
	switch {
	case err != nil:
		c.replyErr(err)
	case res == transferDone:
		c.notifyNew(true, args[2]) // Redis re-adds the destination
		c.notify(ntfGeneric, "copy_to", args[2])
		c.w.WriteInt(1)
	default:
		c.w.WriteInt(0)
	}
}
