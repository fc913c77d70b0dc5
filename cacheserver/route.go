package cacheserver

import (
	"io"
	"strconv"

	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/internal/route"
	"github.com/ringcache/ringcache/ring"
)

// Routing on a clustered node. A command with keys runs here when this
// node owns their slots; otherwise it is forwarded to the owner (forward
// mode), answered -MOVED (moved mode), split by owner (MGET, MSET, DEL,
// UNLINK, EXISTS, TOUCH in forward mode), or refused (CROSSSLOT, TRYAGAIN
// for a request a peer already forwarded). Transactions (WATCH and the
// commands queued in MULTI) never forward: they run on the owner, and get
// -MOVED elsewhere in both modes, as in Redis Cluster.
//
// Forwarding does not stall a pipelining client: each forwarded command is
// sent at once and its reply collected later, in order. While forwarded
// replies are pending, replies of commands run here are captured and
// queued behind them; everything is written out, in request order, at the
// connection's next flush point. Commands without keys first wait for the
// pending replies, so connection state never changes under them.

// maxPending bounds the replies a connection leaves pending before it
// collects them, which bounds its memory and keeps per-peer queues short.
const maxPending = 128

// clusterDownErr answers commands with keys before the node has joined,
// and while it holds no lease (internal/cluster).
const clusterDownErr = "CLUSTERDOWN The cluster is down"

// settlingErr answers, in moved mode, a key whose slot changed owner in a
// ring change so recent that the new owner may not have applied it yet.
const settlingErr = "TRYAGAIN the slot is changing owner, retry shortly"

// pending is one reply owed to the client, in request order: a forwarded
// command, a split command, or captured bytes capture[lo:hi] of a command
// run here.
type pending struct {
	call   *forward.Call
	read   *replicaRead // a read a replica may answer if the owner fails (repl_read.go)
	split  *splitCall
	lo, hi int
	// to, when set, is where call went: a one-key command of slot that is
	// resent if that node no longer owns the slot (route_retry.go).
	to   string
	slot int
}

// splitCall is a multi-key command split by owner: the parts run here have
// their replies in local, the others are in flight in calls.
type splitCall struct {
	spec  route.Spec
	parts []route.Part
	calls []*forward.Call
	local [][]byte
}

// routed routes a command with keys on a clustered node. It reports true
// when the command was dealt with (forwarded, split, redirected or
// refused, or run here with its reply captured behind pending replies);
// false means: run it here as usual (always on a standalone node).
func (c *conn) routed(cmd *command, args [][]byte) bool {
	st := c.srv.cs.Load()
	if st == nil {
		return false
	}
	if !c.awaitReady(st) { // a peer's command waits a moment (route_wait.go)
		c.inOrder(func() { c.reject(clusterDownErr) })
		return true
	}
	c.enterRing(st) // inflight.go: before the ring is read
	r := st.cl.Ring()
	c.noteRing(r) // a batch routed with two rings is never resent (route_retry.go)
	spec, splittable := route.Splittable[cmd.name]
	mode := st.mode
	if c.multi != nil || cmd.name == "watch" || cmd.movedOnly {
		mode, splittable = route.Moved, false
	}
	c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
	d := route.Decide(r, st.self, c.keyBuf, mode, c.peer, splittable)
	if d.Kind != route.Local && c.readsReplica(st, r, cmd) {
		d.Kind = route.Local // READONLY read of a slot this node replicates (repl_cmds.go)
	}
	nkeys := len(c.keyBuf)
	// handoff.go: keys of slots still being copied are read through from
	// their previous owner first; TRYAGAIN while it does not answer yet
	// (after a moment's wait for a peer's command: route_wait.go).
	if (d.Kind == route.Local || d.Kind == route.Split) && !c.resolveKeys(st) {
		d.Kind = route.TryAgain
	}
	clear(c.keyBuf)
	switch d.Kind {
	case route.Local:
		if len(c.pend) == 0 {
			return false
		}
		c.inOrder(func() { c.runHere(cmd, args) })
	case route.Remote:
		c.forwardedRead(cmd, args) // tracking.go: a forwarded read cannot be tracked
		c.forward(st, d.Addr, args)
		c.markResend(cmd, nkeys, d.Slot, d.Addr) // route_retry.go
		c.readFallback(st, cmd, args)            // repl_read.go
		c.noteForwarded(cmd, d.Addr)             // for WAIT (repl_cmds.go)
	case route.Split:
		c.split(st, r, spec, cmd, args)
	case route.Redirect:
		if st.settling(d.Slot) {
			c.inOrder(func() { c.reject(settlingErr) })
			break
		}
		c.inOrder(func() { c.reject(route.MovedError(d.Slot, d.Addr)) })
	case route.TryAgain:
		c.inOrder(func() { c.reject(tryAgainErr(nkeys, d.Slot)) })
	default:
		c.inOrder(func() { c.reject(route.CrossSlotError) })
	}
	return true
}

// runHere executes a command here: queued inside MULTI, called otherwise.
func (c *conn) runHere(cmd *command, args [][]byte) {
	if c.multi != nil && !cmd.runsInMulti() {
		c.queue(cmd, args)
		return
	}
	c.call(cmd, args)
}

// inOrder runs fn, which writes one reply, keeping that reply behind the
// forwarded replies still pending.
func (c *conn) inOrder(fn func()) {
	if len(c.pend) == 0 || c.w != c.out {
		fn()
		return
	}
	if c.capture == nil {
		c.capture = resp.NewWriter(io.Discard)
	}
	c.capture.SetProtocol(c.out.Protocol())
	lo := c.capture.Buffered()
	c.w = c.capture
	fn()
	c.w = c.out
	c.pend = append(c.pend, pending{lo: lo, hi: c.capture.Buffered()})
}

// pool returns the forwarding pool speaking the client's protocol, so the
// owner's reply can be passed on verbatim.
func (c *conn) pool(st *clusterState) *forward.Pool { return st.peers[c.proto()] }

// forward sends a command to its owner and queues its reply.
func (c *conn) forward(st *clusterState, addr string, args [][]byte) {
	k := c.pool(st).Send(addr, uint64(c.id), args)
	if c.w != c.out { // replies silenced (CLIENT REPLY): nothing to order
		c.writeForwarded(k)
		return
	}
	c.pend = append(c.pend, pending{call: k})
}

// writeForwarded waits for a forwarded reply and writes it to c.w.
func (c *conn) writeForwarded(k *forward.Call) {
	raw, err := k.Wait(c.fwdBuf[:0])
	if err != nil {
		c.replyErrString(forwardErr(err))
		return
	}
	c.w.WriteRaw(raw)
	c.fwdBuf = raw[:0]
}

// forwardErr is the reply when the owner could not be reached: TRYAGAIN,
// so cluster-aware clients retry once the ring has moved on.
func forwardErr(err error) string {
	return "TRYAGAIN owner unreachable: " + err.Error()
}

// tryAgainErr is the TRYAGAIN reply to a forwarded request this node does
// not own either (the nodes' rings disagree during a change): Redis's
// wording for several keys, the same idea for one key, which Redis never
// answers with TRYAGAIN.
func tryAgainErr(nkeys, slot int) string {
	if nkeys > 1 {
		return route.TryAgainError
	}
	return "TRYAGAIN Slot " + strconv.Itoa(slot) + " is changing owner, retry later"
}

// split runs a multi-key command whose keys have several owners: one part
// per owner, the local part here, the others forwarded in parallel.
func (c *conn) split(st *clusterState, r *ring.Ring, spec route.Spec, cmd *command, args [][]byte) {
	parts, err := route.SplitArgs(r, args, spec)
	if err != nil {
		c.inOrder(func() { c.replyErrString(arityErr(cmd.name)) })
		return
	}
	sc := &splitCall{spec: spec, parts: parts, calls: make([]*forward.Call, len(parts)),
		local: make([][]byte, len(parts))}
	for i, p := range parts {
		if p.Owner == st.self {
			sc.local[i] = c.runCaptured(cmd, p.Args)
		} else {
			c.forwardedRead(cmd, p.Args)
			sc.calls[i] = c.pool(st).Send(p.Addr, uint64(c.id), p.Args)
			c.noteForwarded(cmd, p.Addr)
		}
	}
	if c.w != c.out {
		c.finishSplit(sc)
		return
	}
	c.pend = append(c.pend, pending{split: sc})
}

// runCaptured runs a command here and returns its raw reply.
func (c *conn) runCaptured(cmd *command, args [][]byte) []byte {
	w := resp.NewWriter(io.Discard)
	w.SetProtocol(c.out.Protocol())
	saved := c.w
	c.w = w
	c.call(cmd, args)
	c.w = saved
	return append([]byte(nil), w.Bytes()...)
}

// finishSplit collects a split command's replies and writes the merged one.
func (c *conn) finishSplit(sc *splitCall) {
	replies := sc.local
	for i, k := range sc.calls {
		if k == nil {
			continue
		}
		raw, err := k.Wait(nil)
		if err != nil {
			c.replyErrString(forwardErr(err))
			return
		}
		replies[i] = raw
	}
	merged, err := route.Merge(sc.spec, sc.parts, replies, c.proto())
	if err != nil {
		c.replyErrString("ERR " + err.Error())
		return
	}
	c.w.WriteRaw(merged)
}

// resolve writes every pending reply, in request order, to the client's
// buffer; the connection loop calls it before each flush and before any
// command without keys.
func (c *conn) resolve() {
	if len(c.pend) == 0 {
		return
	}
	saved := c.w
	c.w = c.out
	for i := range c.pend {
		p := &c.pend[i]
		if p.to != "" { // the new owner's reply if the owner moved (route_retry.go)
			p.call = c.resent(p)
		}
		switch {
		case p.call != nil && p.read != nil:
			c.writeForwardedRead(p.call, p.read) // repl_read.go
		case p.call != nil:
			c.writeForwarded(p.call)
		case p.split != nil:
			c.finishSplit(p.split)
		default:
			c.out.WriteRaw(c.capture.Bytes()[p.lo:p.hi])
		}
		*p = pending{}
	}
	c.w = saved
	c.pend, c.pendRing = c.pend[:0], nil
	if c.capture != nil {
		c.capture.Reset(io.Discard)
	}
}
