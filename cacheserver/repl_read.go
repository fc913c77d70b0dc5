package cacheserver

import (
	"context"

	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/ring"
)

// Reads while an owner is unreachable: a read forwarded to an owner that
// does not answer (crashed, paused, cut off: the forward fails) is sent to
// the slot's replicas in turn, over READONLY peer connections, and the
// first that holds the owner's complete copy answers it (or this node,
// when it is that replica). The answer may lag the owner by the
// replication delay; without a replica holding a complete copy the client
// gets the forwarding error (TRYAGAIN) as before.

// replicaRead is what a forwarded read needs to be retried on a replica.
type replicaRead struct {
	cmd  *command
	args [][]byte // copied: the connection's read buffer is reused
}

// readFallback marks the forward just queued as a read a replica may
// answer.
func (c *conn) readFallback(st *clusterState, cmd *command, args [][]byte) {
	if st.repl == nil || !cmd.readonly || cmd.write || len(c.pend) == 0 || c.pend[len(c.pend)-1].call == nil {
		return
	}
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	c.pend[len(c.pend)-1].read = &replicaRead{cmd: cmd, args: cp}
}

// writeForwardedRead writes a forwarded read's reply, or, when the owner
// could not be reached, a replica's.
func (c *conn) writeForwardedRead(k *forward.Call, rd *replicaRead) {
	raw, err := k.Wait(c.fwdBuf[:0])
	if err == nil {
		c.w.WriteRaw(raw)
		c.fwdBuf = raw[:0]
		return
	}
	st := c.srv.cs.Load()
	if st != nil && st.repl != nil {
		if raw, ok := c.readReplica(st, rd); ok {
			c.w.WriteRaw(raw)
			return
		}
	}
	c.replyErrString(forwardErr(err))
}

// readReplica asks the slot's replicas for rd, in order.
func (c *conn) readReplica(st *clusterState, rd *replicaRead) ([]byte, bool) {
	keys := appendKeys(nil, rd.cmd, rd.args)
	if len(keys) == 0 {
		return nil, false
	}
	slot := ring.KeySlotBytes(keys[0])
	r := st.cl.Ring()
	for k := 1; k <= r.ReplicaCount(); k++ {
		m := r.Replica(slot, k)
		if m.Name == st.self {
			if !st.replica.freshCopy(slot, r.SlotOwner(slot).Name) {
				continue
			}
			return c.runCaptured(rd.cmd, rd.args), true
		}
		raw, err := st.repl.ro[c.proto()].Do(context.Background(), m.Addr, rd.args, nil)
		if err == nil && len(raw) > 0 && raw[0] != '-' {
			return raw, true
		}
	}
	return nil, false
}
