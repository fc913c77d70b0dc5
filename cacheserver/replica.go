package cacheserver

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// Replication, replica side. A node applies RINGCACHE REPL messages from a
// primary (repl.go) only for slots its own ring says that primary owns and
// this node replicates: a sender whose ring is stale for the slot is
// refused (-TRYAGAIN: the primary syncs the slot again later) and the
// slot's copy is dropped. It tracks, per slot, whose complete copy it
// holds (SYNCED after a snapshot, kept while the stream has no gap), which
// decides what survives a ring change: a slot it gains as owner keeps its
// data only when this node held the previous owner's complete copy
// (failover with data); a slot it replicates keeps its data only while
// the primary stays the same. A gap in a stream (a lost message), a
// restarted stream, or a lapse of the lease drops the copies concerned, so
// a replica whose stream broke is never promoted with stale data.

// replicaState is what this node holds as a replica.
type replicaState struct {
	mu      sync.Mutex
	from    [ring.SlotCount]string // primary whose complete copy this node holds
	syncing [ring.SlotCount]string // primary whose snapshot is arriving
	seq     map[string]uint64      // last message of each primary's stream
	heard   map[string]time.Time   // last message from each primary
	applied atomic.Int64           // messages applied
	fresh   time.Duration          // how recent a primary's last message must be to trust its copy once it is gone
	dead    map[string]bool        // primaries proven dead while their copies were fresh (failover.go)
	// ring is the ring the copies were last checked against (replicaDrop
	// sets it before the cluster publishes it): messages are fenced with
	// it, so none applies under a ring replicaDrop already left behind.
	ring *ring.Ring
}

// newReplicaState: fresh is half the earliest failure detection, so a copy
// is trusted when its primary was found dead quickly (its port refused:
// failover.go), not when gossip declared it failed after a cut, during
// which it may have acknowledged writes its stream never carried.
func newReplicaState(fresh time.Duration) *replicaState {
	return &replicaState{seq: map[string]uint64{}, heard: map[string]time.Time{}, fresh: fresh, dead: map[string]bool{}}
}

// provenDead records that primary was found dead (its port refused) and,
// if its copies were fresh then, that they stay trusted: a dead process
// acknowledges nothing more, however long the ring change takes.
func (rs *replicaState) provenDead(primary string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if time.Since(rs.heard[primary]) <= rs.fresh {
		rs.dead[primary] = true
	}
}

// trusted reports whether primary's copies may be served or promoted now
// that it does not answer; rs.mu held.
func (rs *replicaState) trusted(primary string) bool {
	return rs.dead[primary] || time.Since(rs.heard[primary]) <= rs.fresh
}

// freshCopy reports whether this node holds primary's complete copy of
// slot and may serve it while primary does not answer.
func (rs *replicaState) freshCopy(slot int, primary string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.from[slot] == primary && rs.trusted(primary)
}

// complete reports whether this node holds primary's complete copy of slot.
func (rs *replicaState) complete(slot int, primary string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.from[slot] == primary
}

// counts returns the slots held complete and those syncing.
func (rs *replicaState) counts() (complete, syncing int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for s := range rs.from {
		if rs.from[s] != "" {
			complete++
		}
		if rs.syncing[s] != "" {
			syncing++
		}
	}
	return complete, syncing
}

// forget clears every copy (the caller dropped the data).
func (rs *replicaState) forget() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.from, rs.syncing = [ring.SlotCount]string{}, [ring.SlotCount]string{}
	clear(rs.seq)
	clear(rs.dead)
}

// dropFrom drops every copy of primary's slots; rs.mu held.
func (rs *replicaState) dropFrom(s *store.Store, primary string) {
	var drop [ring.SlotCount]bool
	for i := range rs.from {
		if rs.from[i] == primary || rs.syncing[i] == primary {
			drop[i], rs.from[i], rs.syncing[i] = true, "", ""
		}
	}
	s.DropSlots(func(slot int) bool { return drop[slot] })
}

// replicaDrop returns which slots onRing empties when old becomes next:
// without replicas, every slot whose owner changed to or from this node
// (changed); with replicas, every slot this node neither keeps as owner
// nor holds as a replica, except a gained slot whose previous owner's
// complete copy it holds, and a slot it keeps as replica of the same
// primary. It runs before next is published and updates what it holds.
func (st *clusterState) replicaDrop(old, next *ring.Ring, changed []bool) func(slot int) bool {
	if st.repl == nil {
		return func(slot int) bool { return changed[slot] }
	}
	rs := st.replica
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.ring = next
	for name := range rs.dead {
		if _, ok := next.Member(name); ok {
			delete(rs.dead, name) // back (restarted): its new copies start afresh
		}
	}
	drop := make([]bool, ring.SlotCount)
	for s := range drop {
		ownOld, ownNew, owner := old.Owns(st.self, s), next.Owns(st.self, s), next.SlotOwner(s).Name
		switch {
		case ownOld && ownNew:
		case ownNew:
			prev := old.SlotOwner(s).Name
			drop[s] = rs.from[s] != prev || !rs.trusted(prev)
		case next.HoldsReplica(st.self, s):
			drop[s] = !ownOld && rs.from[s] != owner && rs.syncing[s] != owner
			if rs.from[s] != owner {
				rs.from[s] = ""
			}
			if rs.syncing[s] != owner {
				rs.syncing[s] = ""
			}
			continue
		default:
			drop[s] = true
		}
		rs.from[s], rs.syncing[s] = "", ""
	}
	return func(slot int) bool { return drop[slot] }
}

// ringcacheRepl applies RINGCACHE REPL <from> <epoch> <seq> <op> [args]
// from a peer connection.
func ringcacheRepl(c *conn, args [][]byte) {
	st := c.peerCluster("REPL")
	switch {
	case st == nil:
		return
	case len(args) < 6:
		c.replyErrString(arityErr("ringcache|repl"))
		return
	case st.repl == nil:
		c.replyErrString("ERR this node has no replicas configured")
		return
	}
	from, op := string(args[2]), strings.ToUpper(string(args[5]))
	seq, err := strconv.ParseUint(string(args[4]), 10, 64)
	if err != nil {
		c.replyErrString(syntaxErr)
		return
	}
	rs := st.replica
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if msg := rs.sequence(c.srv.store, from, seq); msg != "" {
		c.replyErrString(msg)
		return
	}
	rs.heard[from] = time.Now()
	if op == "PING" {
		c.w.WriteSimple("OK")
		return
	}
	if !st.ready() {
		rs.dropFrom(c.srv.store, from)
		c.replyErrString("TRYAGAIN the replica does not hold its lease")
		return
	}
	if op == "FLUSH" {
		rs.flushFrom(c.srv.store, from)
		c.w.WriteSimple("OK")
		return
	}
	c.replyApply(st, from, op, args[6:])
}

// sequence checks a message's place in its stream: 1 restarts the stream
// (dropping what the old one built), anything but the next number is a
// gap (dropping the copies; the primary restarts). rs.mu held.
func (rs *replicaState) sequence(s *store.Store, from string, seq uint64) string {
	last := rs.seq[from]
	switch {
	case seq == 1:
		rs.dropFrom(s, from)
	case seq != last+1:
		rs.dropFrom(s, from)
		delete(rs.seq, from)
		return "ERR RESYNC replication stream gap: expected " + strconv.FormatUint(last+1, 10)
	}
	rs.seq[from] = seq
	return ""
}

// flushFrom empties the copies of primary's slots (it ran FLUSHALL); they
// stay complete. rs.mu held.
func (rs *replicaState) flushFrom(s *store.Store, primary string) {
	var drop [ring.SlotCount]bool
	for i := range rs.from {
		drop[i] = rs.from[i] == primary || rs.syncing[i] == primary
	}
	s.DropSlots(func(slot int) bool { return drop[slot] })
}

// replyApply applies SYNC slot..., SYNCED slot..., SET slot key pttl
// value [kind] or DEL slot key, refusing the slots this node's ring does not
// have it replicate from the sender; rs.mu held.
func (c *conn) replyApply(st *clusterState, from, op string, a [][]byte) {
	nslots := 1
	switch {
	case op == "SYNC" || op == "SYNCED":
		nslots = len(a)
	case op == "SET" && (len(a) == 4 || len(a) == 5), op == "DEL" && len(a) == 2:
	default:
		c.replyErrString(syntaxErr)
		return
	}
	var refused []string
	for _, sa := range a[:nslots] {
		slot, err := strconv.Atoi(string(sa))
		if err != nil || slot < 0 || slot >= ring.SlotCount {
			c.replyErrString(syntaxErr)
			return
		}
		if err := st.replica.apply(st, c.srv.store, from, op, slot, a); err != nil {
			refused = append(refused, strconv.Itoa(slot))
		}
	}
	if len(refused) > 0 {
		c.replyErrString(refusedPrefix + " " + strings.Join(refused, " "))
		return
	}
	c.w.WriteSimple("OK")
}

// errRefused: the slot is not replicated here from that sender.
var errRefused = errors.New("refused")

// apply applies one message to one slot; rs.mu held.
func (rs *replicaState) apply(st *clusterState, s *store.Store, from, op string, slot int, a [][]byte) error {
	r := rs.ring
	if r == nil {
		r = st.cl.Ring()
	}
	mine := rs.from[slot] == from || rs.syncing[slot] == from
	if !r.Owns(from, slot) || !r.HoldsReplica(st.self, slot) || (op != "SYNC" && !mine) {
		if mine {
			s.DropSlot(slot)
			rs.from[slot], rs.syncing[slot] = "", ""
		}
		return errRefused
	}
	switch op {
	case "SYNC":
		s.DropSlot(slot)
		rs.from[slot], rs.syncing[slot] = "", from
	case "SYNCED":
		if rs.syncing[slot] != from {
			return errRefused
		}
		rs.from[slot], rs.syncing[slot] = from, ""
	case "SET":
		e, err := replEntry(a)
		if err == nil {
			err = s.Import(e)
		}
		if err != nil { // out of memory: this copy is incomplete
			s.DropSlot(slot)
			rs.from[slot], rs.syncing[slot] = "", ""
			return err
		}
	case "DEL":
		s.Del(a[1])
	}
	rs.applied.Add(1)
	return nil
}

// replEntry parses SET's slot key pttl value [kind] (setArgs, repl.go).
func replEntry(a [][]byte) (store.Entry, error) {
	ms, err := strconv.ParseInt(string(a[2]), 10, 64)
	if err != nil || ms < 0 {
		return store.Entry{}, errRefused
	}
	e := store.Entry{Key: a[1], Value: a[3], TTL: time.Duration(ms) * time.Millisecond}
	if len(a) == 5 {
		k, err := strconv.ParseUint(string(a[4]), 10, 8)
		if err != nil {
			return store.Entry{}, errRefused
		}
		e.Kind = store.Kind(k)
	}
	return e, nil
}
