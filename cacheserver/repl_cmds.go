package cacheserver

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// Replication on a connection: its writes are queued for the replicas
// (repl.go) and remembered for WAIT; READONLY lets it read slots this node
// replicates; INFO replication reports the streams.

func replCommands() []*command {
	return []*command{{name: "wait", arity: 3, flags: []string{"noscript"}, acl: []string{"@slow", "@connection"},
		group: "generic", since: "3.0.0", handler: cmdWait,
		summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed."}}
}

// replConn is a connection's replication state.
type replConn struct {
	offs     map[*replTarget]uint64 // highest offset of this connection's writes, per replica
	width    int                    // fewest replicas any of those writes had (0: no write yet)
	fwd      map[string]bool        // owners this connection's writes were forwarded to
	readonly bool                   // READONLY: read slots this node replicates here
}

func (rc *replConn) note(t *replTarget, off uint64) {
	if rc.offs == nil {
		rc.offs = map[*replTarget]uint64{}
	}
	rc.offs[t] = max(rc.offs[t], off)
}

func (rc *replConn) noteWidth(n int) {
	if n > 0 && (rc.width == 0 || n < rc.width) {
		rc.width = n
	}
}

// replicate queues the keys a write command ran here touched for the
// replicas of their slots (FLUSHALL and FLUSHDB: a flush).
func (c *conn) replicate(cmd *command) {
	st := c.srv.cs.Load()
	if st == nil || st.repl == nil {
		return
	}
	if cmd.firstKey <= 0 {
		if cmd.name == "flushall" || cmd.name == "flushdb" {
			st.repl.flush(c.repl.note)
		}
		return
	}
	r := st.cl.Ring()
	for _, k := range c.keyBuf {
		c.repl.noteWidth(st.repl.noteKey(r, k, c.repl.note))
	}
}

// noteForwarded remembers the owner a write was forwarded to, for WAIT.
func (c *conn) noteForwarded(cmd *command, addr string) {
	if !cmd.write {
		return
	}
	if c.repl.fwd == nil {
		c.repl.fwd = map[string]bool{}
	}
	c.repl.fwd[addr] = true
}

// readsReplica reports whether a read for keys may run here although
// another node owns them: the connection sent READONLY and this node holds
// a complete copy of every key's slot as the owner's replica.
func (c *conn) readsReplica(st *clusterState, r *ring.Ring, cmd *command) bool {
	if !c.repl.readonly || !cmd.readonly || cmd.write || c.multi != nil || st.repl == nil || len(c.keyBuf) == 0 {
		return false
	}
	for _, k := range c.keyBuf {
		slot := ring.KeySlotBytes(k)
		if !r.HoldsReplica(st.self, slot) {
			return false
		}
		// A peer asks because the owner did not answer (repl_read.go):
		// only a copy it may trust then will do.
		if owner := r.SlotOwner(slot).Name; c.peer && !st.replica.freshCopy(slot, owner) ||
			!c.peer && !st.replica.complete(slot, owner) {
			return false
		}
	}
	return true
}

// replAcked is how many replicas acknowledged every write of c made here:
// the fewest replicas a write had, less the replicas still behind (a lower
// bound). Without writes: the replicas streaming now.
func (c *conn) replAcked(st *clusterState) int {
	if st == nil || st.repl == nil {
		return 0
	}
	if c.repl.width == 0 {
		n := 0
		for _, t := range *st.repl.targets.Load() {
			if t.online.Load() {
				n++
			}
		}
		return min(n, st.cl.Ring().ReplicaCount())
	}
	behind := 0
	for t, off := range c.repl.offs {
		if t.stopped.Load() {
			// The ring no longer has that member replicate this node's
			// slots: their new replicas get them by snapshot, which
			// offsets do not follow (docs/cluster.md: WAIT).
			delete(c.repl.offs, t)
			continue
		}
		if t.acked.Load() < off {
			behind++
		}
	}
	return max(0, c.repl.width-behind)
}

// cmdWait is WAIT numreplicas timeout: block until every write of this
// connection reached numreplicas replicas or timeout milliseconds passed
// (0: no limit), then reply how many did. Writes forwarded to other owners
// are asked about there (WAIT on the same peer connection, after them),
// each for at most the forward timeout; the reply is the fewest.
func cmdWait(c *conn, args [][]byte) {
	want, err1 := strconv.ParseInt(string(args[1]), 10, 64)
	ms, err2 := strconv.ParseInt(string(args[2]), 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		c.replyErrString(notIntegerErr)
		return
	case ms < 0:
		c.replyErrString("ERR timeout is negative")
		return
	}
	st := c.srv.cs.Load()
	var deadline <-chan time.Time
	if ms > 0 {
		tm := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer tm.Stop()
		deadline = tm.C
	}
	remote := c.waitRemote(st, args[1], ms)
	n := math.MaxInt
	if c.repl.width > 0 || len(remote) == 0 {
		n = c.waitLocal(st, int(want), deadline)
	}
	for _, k := range remote {
		raw, err := k.Wait(nil)
		v, perr := strconv.Atoi(strings.TrimSpace(string(raw[min(1, len(raw)):])))
		if err != nil || len(raw) == 0 || raw[0] != ':' || perr != nil {
			v = 0
		}
		n = min(n, v)
	}
	c.w.WriteInt(int64(n))
}

// waitLocal waits for the local writes' acknowledgements.
func (c *conn) waitLocal(st *clusterState, want int, deadline <-chan time.Time) int {
	for {
		n := c.replAcked(st)
		if n >= want {
			return n
		}
		var acked <-chan struct{}
		if st != nil && st.repl != nil {
			acked = st.repl.ackCh()
			if n = c.replAcked(st); n >= want {
				return n
			}
		}
		select {
		case <-acked:
		case <-deadline:
			return n
		case <-c.srv.stop:
			return n
		}
	}
}

// waitRemote sends WAIT to the owners this connection's writes went to.
func (c *conn) waitRemote(st *clusterState, want []byte, ms int64) []*forward.Call {
	if st == nil || len(c.repl.fwd) == 0 {
		return nil
	}
	limit := (c.srv.cfg.Cluster.ForwardTimeout - 100*time.Millisecond).Milliseconds()
	if ms == 0 || ms > limit {
		ms = max(limit, 1)
	}
	live := map[string]bool{}
	for _, m := range st.cl.Ring().Members() {
		live[m.Addr] = true
	}
	var out []*forward.Call
	for addr := range c.repl.fwd {
		if !live[addr] { // gone from the ring: its slots' new owners hold them (see replAcked)
			delete(c.repl.fwd, addr)
			continue
		}
		out = append(out, c.pool(st).Send(addr, uint64(c.id), [][]byte{[]byte("WAIT"), want, []byte(strconv.FormatInt(ms, 10))}))
	}
	return out
}

// infoReplicationSection writes INFO replication: every node is a primary
// for the slots it owns; its replicas are the members it streams to.
func (s *Server) infoReplicationSection(b *strings.Builder) {
	st := s.cs.Load()
	field(b, "role", "master")
	var ts []*replTarget
	var off uint64
	if st != nil && st.repl != nil {
		for _, t := range *st.repl.targets.Load() {
			ts = append(ts, t)
		}
		off = st.repl.off.Load()
	}
	online := 0
	for _, t := range ts {
		if t.online.Load() {
			online++
		}
	}
	field(b, "connected_slaves", online)
	for i, t := range ts {
		host, port, _ := net.SplitHostPort(t.addr)
		state, lag := "wait_bgsave", int64(-1)
		if t.online.Load() {
			state = "online"
			lag = int64(time.Since(time.Unix(0, t.lastAck.Load())).Seconds())
		}
		field(b, fmt.Sprintf("slave%d", i), fmt.Sprintf("ip=%s,port=%s,state=%s,offset=%d,lag=%d", host, port, state, t.acked.Load(), lag))
	}
	field(b, "master_failover_state", "no-failover")
	replid := strings.Repeat("0", 40)
	if st != nil {
		replid = nodeID(st.self)
	}
	field(b, "master_replid", replid)
	field(b, "master_replid2", strings.Repeat("0", 40))
	field(b, "master_repl_offset", off)
	field(b, "second_repl_offset", -1)
	field(b, "repl_backlog_active", 0)
	field(b, "repl_backlog_size", 0)
	field(b, "repl_backlog_first_byte_offset", 0)
	field(b, "repl_backlog_histlen", 0)
	if st != nil && st.replica != nil {
		complete, syncing := st.replica.counts()
		field(b, "ringcache_replicas", st.cl.Ring().ReplicaCount())
		field(b, "ringcache_replica_slots", complete)
		field(b, "ringcache_replica_syncing_slots", syncing)
		field(b, "ringcache_replica_applied", st.replica.applied.Load())
		field(b, "ringcache_excluded_members", st.fw.exclusions())
	}
}

// removeRelay passes the store's removals (expiries, evictions) to the
// replicator once the cluster has started.
type removeRelay struct{ rp atomic.Pointer[replicator] }

func (rr *removeRelay) hook(next func([]byte, store.RemoveReason)) func([]byte, store.RemoveReason) {
	return func(key []byte, why store.RemoveReason) {
		if rp := rr.rp.Load(); rp != nil {
			rp.onRemove(key)
		}
		if next != nil {
			next(key, why)
		}
	}
}
