package cacheserver

import (
	"sync"
	"sync/atomic"

	"github.com/ringcache/ringcache/internal/store"
)

// multiState is a connection's open transaction (between MULTI and EXEC).
type multiState struct {
	failed   bool // a queue-time error: EXEC answers EXECABORT
	queue    []queued
	slot     int  // the one slot of every key queued, -1 while none
	allStore bool // a queued command works on the whole store
}

// queued is one command waiting for EXEC; args are copies.
type queued struct {
	cmd  *command
	args [][]byte
}

// runsInMulti reports whether the command runs immediately inside MULTI
// rather than being queued.
func (cmd *command) runsInMulti() bool {
	switch cmd.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// queue adds a command to the open transaction, or flags the transaction
// when it cannot run in it.
func (c *conn) queue(cmd *command, args [][]byte) {
	m := c.multi
	if cmd.noMulti {
		c.reject("ERR Command not allowed inside a transaction")
		return
	}
	c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
	slot := slotOf(c.keyBuf)
	clear(c.keyBuf)
	if slot == -2 || slot >= 0 && m.slot >= 0 && slot != m.slot {
		c.reject(crossSlotErr)
		return
	}
	if slot >= 0 {
		m.slot = slot
	}
	m.allStore = m.allStore || cmd.allStore
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	m.queue = append(m.queue, queued{cmd: cmd, args: cp})
	c.w.WriteSimple("QUEUED")
}

func multiCommands() []*command {
	return []*command{
		{name: "multi", arity: 1, flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"},
			acl: []string{"@fast", "@transaction"}, group: "transactions", since: "1.2.0",
			summary: "Starts a transaction.", handler: multiCmd},
		{name: "exec", arity: 1, flags: []string{"noscript", "loading", "stale", "skip_slowlog"},
			acl: []string{"@slow", "@transaction"}, group: "transactions", since: "1.2.0",
			summary: "Executes all commands in a transaction.", handler: execCmd},
		{name: "discard", arity: 1, flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"},
			acl: []string{"@fast", "@transaction"}, group: "transactions", since: "2.0.0",
			summary: "Discards a transaction.", handler: discardCmd},
		{name: "watch", arity: -2, flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"},
			firstKey: 1, lastKey: -1, step: 1, acl: []string{"@fast", "@transaction"}, group: "transactions",
			since: "2.2.0", summary: "Monitors changes to keys to determine the execution of a transaction.",
			handler: watchCmd},
		{name: "unwatch", arity: 1, flags: []string{"noscript", "loading", "stale", "fast", "allow_busy"},
			acl: []string{"@fast", "@transaction"}, group: "transactions", since: "2.2.0",
			summary: "Forgets about watched keys of a transaction.", handler: unwatchCmd},
	}
}

func multiCmd(c *conn, _ [][]byte) {
	if c.multi != nil {
		c.replyErrString(nestedMultiErr)
		return
	}
	c.multi = &multiState{slot: -1}
	c.w.WriteSimple("OK")
}

func discardCmd(c *conn, _ [][]byte) {
	if c.multi == nil {
		c.replyErrString(discardNoMulti)
		return
	}
	c.multi = nil
	c.srv.watch.unwatchAll(c)
	c.w.WriteSimple("OK")
}

// execCmd runs the queued commands under the lock of their slot, so no other
// client sees a state in between. A transaction with a whole-store command
// (FLUSHALL, DBSIZE, ...) runs without the slot lock.
func execCmd(c *conn, _ [][]byte) {
	m := c.multi
	if m == nil {
		c.replyErrString(execNoMultiErr)
		return
	}
	c.multi = nil
	dirty := c.dirty.Load()
	c.srv.watch.unwatchAll(c)
	switch {
	case m.slot >= 0 && !c.srv.Serving(): // the lease lapsed since the keys were queued
		c.replyErrString(clusterDownErr)
		return
	case m.failed:
		c.replyErrString(execAbortErr)
		return
	case dirty:
		c.w.WriteNullArray()
		return
	}
	if moved := c.execMoved(m.slot); moved != "" { // inflight.go: the slot moved since queueing
		c.replyErrString(moved)
		return
	}
	c.w.WriteArray(len(m.queue))
	if m.slot < 0 || m.allStore {
		c.runQueue(m.queue)
		return
	}
	c.srv.store.Atomic(m.slot, func(tx *store.Tx) {
		c.db = tx
		defer func() { c.db = c.srv.store }()
		c.runQueue(m.queue)
	})
}

func (c *conn) runQueue(q []queued) {
	for _, e := range q {
		if !c.aclRefused(e.cmd, e.args, "multi") { // acl_check.go: permissions may have changed since queueing
			c.call(e.cmd, e.args)
		}
	}
}

func watchCmd(c *conn, args [][]byte) {
	if c.multi != nil {
		c.replyErrString(watchInMultiErr)
		return
	}
	c.srv.watch.watch(c, args[1:])
	c.w.WriteSimple("OK")
}

func unwatchCmd(c *conn, _ [][]byte) {
	c.srv.watch.unwatchAll(c)
	c.w.WriteSimple("OK")
}

// watchRegistry maps watched keys to the connections watching them. Write
// commands mark those connections dirty (see conn.call).
type watchRegistry struct {
	active atomic.Int64 // number of (key, conn) pairs; 0 keeps writes fast
	mu     sync.Mutex
	keys   map[string]map[*conn]struct{}
}

func (w *watchRegistry) watch(c *conn, keys [][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys == nil {
		w.keys = make(map[string]map[*conn]struct{})
	}
	for _, k := range keys {
		set := w.keys[string(k)]
		if set == nil {
			set = make(map[*conn]struct{})
			w.keys[string(k)] = set
		}
		if _, ok := set[c]; ok {
			continue
		}
		set[c] = struct{}{}
		c.watched = append(c.watched, append([]byte(nil), k...))
		w.active.Add(1)
	}
}

// unwatchAll forgets every key c watches and clears its dirty flag.
func (w *watchRegistry) unwatchAll(c *conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range c.watched {
		set := w.keys[string(k)]
		delete(set, c)
		if len(set) == 0 {
			delete(w.keys, string(k))
		}
		w.active.Add(-1)
	}
	c.watched = c.watched[:0]
	c.dirty.Store(false)
}

// touch marks dirty every connection watching one of keys.
func (w *watchRegistry) touch(keys [][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		for c := range w.keys[string(k)] {
			c.dirty.Store(true)
		}
	}
}

// touchExisting marks dirty the connections watching a key that exists in
// st (FLUSHALL, before it flushes): as Redis, a watched key that does not
// exist is not modified by a flush. The store is asked without w.mu held
// (its lazy expiry calls onRemoveHook, which takes w.mu).
func (w *watchRegistry) touchExisting(st *store.Store) {
	w.mu.Lock()
	keys := make([][]byte, 0, len(w.keys))
	for k := range w.keys {
		keys = append(keys, []byte(k))
	}
	w.mu.Unlock()
	existing := keys[:0]
	for _, k := range keys {
		if st.Exists(k) {
			existing = append(existing, k)
		}
	}
	w.touch(existing)
}

// onRemoveHook returns a store OnRemove callback that treats a watched key
// the store expired or evicted as modified, so EXEC aborts as in Redis;
// next, if not nil, is called too. It runs under the key's shard lock and
// takes only w.mu.
func (w *watchRegistry) onRemoveHook(next func([]byte, store.RemoveReason)) func([]byte, store.RemoveReason) {
	return func(key []byte, why store.RemoveReason) {
		if w.active.Load() > 0 {
			w.touch([][]byte{key})
		}
		if next != nil {
			next(key, why)
		}
	}
}
