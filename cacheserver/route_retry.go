package cacheserver

import (
	"bytes"
	"time"

	"github.com/ringcache/ringcache/internal/acl"
	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/ring"
)

// Resending a forwarded command its owner refused because it no longer
// owns the slot (issue 13: no client error during a planned membership
// change). Rings switch a few hundred ms apart: a node still routing with
// the previous ring forwards a key to its previous owner, which already
// routes with the new one and answers TRYAGAIN (the command did not run).
// When that reply comes back, this node waits (up to retryWait) for its
// own ring to give the slot to another node, and sends the command there
// (itself included: the command then arrives on a peer connection and is
// routed as any forwarded one, hand-off read-through first). The client
// gets the new owner's reply, in its place in the pipeline.
//
// Order. A command is resent only if every command of the connection's
// pending batch was routed with the same ring: then every later command
// of the same slot went to the same previous owner, on the same peer
// connection, after it, and was refused too (a node does not own again a
// slot it just lost); they are resent in turn, in request order, so no
// later write of a key overtakes an earlier one. A batch that straddles a
// ring change of this node keeps its TRYAGAIN replies. Only commands with
// one key are resent, never a script or a transaction's command (a script
// may answer TRYAGAIN itself). Replies other than TRYAGAIN (CLUSTERDOWN:
// the owner waited for itself, route_wait.go) are passed on as they are.

// retryWait bounds how long a forwarded command is retried.
const retryWait = time.Second

// notOwnerReply is how a peer's TRYAGAIN for a slot it does not own (or
// no longer serves) starts: tryAgainErr's single-key form.
var notOwnerReply = []byte("-TRYAGAIN Slot ")

// noteRing records the ring a command of the pending batch was routed
// with; a batch routed with two rings is never resent.
func (c *conn) noteRing(r *ring.Ring) {
	if len(c.pend) == 0 {
		c.pendRing, c.pendMixed = r, false
	} else if r != c.pendRing {
		c.pendMixed = true
	}
}

// markResend makes the forward just queued resendable: a command with one
// key in slot, sent to addr.
func (c *conn) markResend(cmd *command, nkeys, slot int, addr string) {
	if nkeys != 1 || cmd.cats&(acl.Scripting|acl.Transaction) != 0 || len(c.pend) == 0 {
		return
	}
	p := &c.pend[len(c.pend)-1]
	if p.call != nil && p.split == nil {
		p.slot, p.to = slot, addr
	}
}

// resent waits for p's forwarded reply and returns the call whose reply
// the client gets: p's own, or the last resend of its command to the
// slot's new owner.
func (c *conn) resent(p *pending) *forward.Call {
	k := p.call
	st := c.srv.cs.Load()
	if st == nil {
		return k
	}
	deadline := time.Now().Add(retryWait)
	pause := time.Millisecond
	for to := p.to; ; {
		raw, err := k.Wait(c.fwdBuf[:0])
		c.fwdBuf = raw[:0]
		if err != nil || !bytes.HasPrefix(raw, notOwnerReply) {
			return k
		}
		if c.pendMixed {
			c.srv.log.Debug("forwarded command refused, not resent: its batch was routed with two rings", "slot", p.slot)
			return k
		}
		owner := st.cl.Ring().SlotOwner(p.slot)
		for owner.Addr == to { // this node's ring has not moved on yet
			if !c.pause(st, deadline, &pause) {
				c.srv.log.Debug("forwarded command refused, not resent: the slot's owner did not change", "slot", p.slot, "owner", to)
				return k
			}
			owner = st.cl.Ring().SlotOwner(p.slot)
		}
		if time.Now().After(deadline) {
			return k
		}
		to = owner.Addr
		k = c.pool(st).Resend(to, uint64(c.id), k)
	}
}

// pause sleeps *d (then doubles it, at most 50 ms) unless that passes
// deadline or the cluster stops; it reports whether it slept.
func (c *conn) pause(st *clusterState, deadline time.Time, d *time.Duration) bool {
	if time.Now().Add(*d).After(deadline) {
		return false
	}
	t := time.NewTimer(*d)
	defer t.Stop()
	select {
	case <-st.ctx.Done():
		return false
	case <-t.C:
	}
	*d = min(2**d, 50*time.Millisecond)
	return true
}
