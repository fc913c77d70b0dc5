package cacheserver

import (
	"sync/atomic"

	"github.com/ringcache/ringcache/internal/route"
)

// The in-flight fence of hand-off. A command that runs here was routed
// with the ring this node used at that moment, and a new ring can be
// published between the routing decision and the write. A previous owner
// must not hand a slot over (handoff.keptFor) while such a command may
// still write into its copy, or the write lands after the new owner read
// the key: acknowledged to the client, and lost (a load of 23 on two cores
// delays a goroutine by hundreds of milliseconds, so a fixed grace period
// after the switch is not a bound). So every published ring gets a
// generation, incremented after the publish; a connection records the
// generation it read before it routes a command, and clears it once the
// command ends; the fence holds until no connection still runs a command
// with an older generation. A command that read the old generation but
// records it only after the fence looked also reads the ring after the
// fence looked, so it routes with the new ring: the order of the
// (sequentially consistent) atomics makes the check exact. The scan of
// the connections runs once per generation.

// ringGate is the generation bookkeeping of a clustered node.
type ringGate struct {
	gen     atomic.Uint64 // generation of the ring in use, from 1
	drained atomic.Uint64 // every command routed with an older generation has ended
}

// enterRing records the generation a command is routed with; called
// before the ring is read.
func (c *conn) enterRing(st *clusterState) { c.ringGen.Store(st.gate.gen.Load()) }

// leaveRing ends the command enterRing recorded, if any.
func (c *conn) leaveRing() {
	if c.ringGen.Load() != 0 {
		c.ringGen.Store(0)
	}
}

// published starts a new generation; called once a new ring is published.
func (g *ringGate) published() { g.gen.Add(1) }

// inFlightDrained reports whether every command routed with a ring older
// than the current one has ended.
func (s *Server) inFlightDrained(st *clusterState) bool {
	g := st.gate.gen.Load()
	if st.gate.drained.Load() >= g {
		return true
	}
	s.mu.Lock()
	for c := range s.conns {
		if r := c.ringGen.Load(); r != 0 && r < g {
			s.mu.Unlock()
			return false
		}
	}
	s.mu.Unlock()
	for d := st.gate.drained.Load(); d < g && !st.gate.drained.CompareAndSwap(d, g); d = st.gate.drained.Load() {
	}
	return true
}

// execMoved checks, when EXEC starts, that this node still owns the slot
// the transaction's keys were queued for: a ring change since then moved
// it, and running the queue here would write into a copy that was handed
// over. It returns Redis's -MOVED for EXEC, or "" to run.
func (c *conn) execMoved(slot int) string {
	st := c.srv.cs.Load()
	if st == nil || slot < 0 {
		return ""
	}
	c.enterRing(st)
	if owner := st.cl.Ring().SlotOwner(slot); owner.Name != st.self {
		return route.MovedError(slot, owner.Addr)
	}
	return ""
}
