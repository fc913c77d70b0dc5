package cacheserver

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/ring"
)

// Hand-off of slot data on planned membership changes (issue 13).
//
// The model. On a ring change, a node keeps the data of each slot it lost
// ("kept": it no longer owns the slot, so it forwards or redirects its
// keys, and its copy no longer changes) until the new owner reports the
// slot copied (RINGCACHE HANDOFF DONE) or HandoffKeep passes. A node
// empties each slot it gained (data it held from an earlier ownership is
// older than what the previous owner took since) and pulls it from the
// previous owner, in cursor batches, hottest keys of each batch first,
// throttled by HandoffRate bytes/s. The previous owner answers a pull
// (RINGCACHE HANDOFF DUMP, GET) only once the ring it routes with gives
// the slot to the asker: the fence that makes its copy final. Until a
// slot's copy is complete, the first command on a key of that slot reads
// the key through from the previous owner (RINGCACHE HANDOFF GET, one hop,
// HandoffReadThrough at most) if this node does not hold it, and marks the
// key resolved: from then on the new owner's state of the key is the
// truth and the bulk copy skips it, so a write, delete or expiry here
// always wins over imported data (a late import never resurrects a deleted
// key). TTLs travel as absolute expiry times (Unix ms).
//
// A node that joins serves from its first ring with peers, reading through
// from each slot's owner in the ring of the other members (re-aimed when a
// later ring changes that owner), and starts the bulk copy once every
// member routes with its ring. A previous owner that cannot be reached (it crashed) ends the
// transfer of its slots: they start empty, as before hand-off existed.

// handoffConfig is the part of ClusterConfig hand-off uses.
type handoffConfig struct {
	rate        int64         // bytes/s of bulk copy
	keep        time.Duration // how long a lost slot is kept for its new owner
	readThrough time.Duration // bound of one read-through
	warm        time.Duration // a joining node is not ready for at most this long while it copies
	drain       time.Duration // hard cap of the hand-off phase of a graceful leave
}

// handoff is a clustered node's hand-off state.
type handoff struct {
	s    *Server
	st   *clusterState
	cfg  handoffConfig
	pool *forward.Pool // dedicated peer connections for pulls
	lim  limiter

	in    [ring.SlotCount]atomic.Pointer[inSlot] // gained slots being copied
	nIn   atomic.Int64                           // slots in transfer here
	pulls atomic.Int64                           // pull goroutines running (copy, then DONE)

	mu  sync.Mutex
	out map[int]keptSlot // lost slots kept for their new owner

	joinDone  bool         // a joining node started its first copy (under mu)
	warmLeft  atomic.Int64 // slots of the join transfer still copying
	warmUntil atomic.Int64 // unix ns: readiness stops waiting for them then

	stats handoffStats
}

// keptSlot is a lost slot whose data waits for its new owner's pull.
type keptSlot struct {
	to    string
	until time.Time
}

// handoffStats are the counters INFO and /metrics report.
type handoffStats struct {
	keysIn, bytesIn, keysOut, bytesOut atomic.Int64
	readThroughs, readThroughHits      atomic.Int64
	slotsDone, slotsFailed, transfers  atomic.Int64
	keptDropped                        atomic.Int64 // kept slots dropped at their deadline
}

// inSlot is a gained slot being copied from src.
type inSlot struct {
	slot int
	src  *handoffSource
	warm bool // part of the transfer after this node joined

	mu        sync.Mutex
	resolved  map[string]struct{} // keys whose state here is final
	cancelled bool                // lost again, or copy finished
}

// isCancelled reports whether in's transfer ended.
func (in *inSlot) isCancelled() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cancelled
}

// handoffSource is the previous owner of some gained slots.
type handoffSource struct {
	name, addr string
	since      time.Time   // when the transfer began
	planned    bool        // a member, or left gracefully: reads wait (TRYAGAIN) for its fence
	failed     atomic.Bool // unreachable: no more read-through
}

func newHandoff(s *Server, st *clusterState, cfg handoffConfig, pool *forward.Pool) *handoff {
	ho := &handoff{s: s, st: st, cfg: cfg, pool: pool, out: map[int]keptSlot{}}
	ho.lim.rate = float64(cfg.rate)
	return ho
}

// enabled reports whether hand-off is on (HandoffRate > 0).
func (ho *handoff) enabled() bool { return ho != nil && ho.cfg.rate > 0 }

// onRing runs in the cluster's apply step (cluster.go onRing), before next
// is published. changed marks the slots whose owner changed to or from
// this node; it returns the slots to empty now: every gained slot, but no
// lost one, which is kept for its new owner. The returned start function
// begins the pulls once next routes.
//
// A node asked to join serves no key with the one-member ring it starts
// with; from its first ring with peers it reads through from the others'
// owners (retarget), and copies once every member agrees (awaitJoin).
func (ho *handoff) onRing(old, next *ring.Ring, changed []bool) (drop []bool, start func()) {
	drop = append([]bool(nil), changed...)
	if !ho.enabled() {
		return drop, func() {
			if next.Len() > 1 {
				ho.st.peered.Store(true)
			}
		}
	}
	ho.mu.Lock()
	defer ho.mu.Unlock()
	if ho.st.join && !ho.joinDone {
		if next.Len() < 2 {
			return drop, func() {}
		}
		ho.retarget(next)
		return drop, func() {
			ho.st.peered.Store(true)
			ho.st.wg.Add(1)
			go ho.awaitJoin(next)
		}
	}
	self := ho.st.self
	until := time.Now().Add(ho.cfg.keep)
	for slot, k := range ho.out {
		if next.SlotOwner(slot).Name != k.to { // its new owner lost it again: it pulls from there
			delete(ho.out, slot)
			drop[slot] = next.SlotOwner(slot).Name != self
		}
	}
	var gained []int
	for slot := range ring.SlotCount {
		nowOwner, wasOwner := next.SlotOwner(slot).Name == self, old.SlotOwner(slot).Name == self
		switch {
		case wasOwner && !nowOwner:
			// Kept even if empty now: a write this node accepted with the
			// old ring may still land before it routes with next.
			ho.cancel(slot)
			ho.out[slot] = keptSlot{to: next.SlotOwner(slot).Name, until: until}
			drop[slot] = false
		case nowOwner && changed[slot]:
			delete(ho.out, slot)
			ho.cancel(slot)
			drop[slot] = true
			gained = append(gained, slot)
		}
	}
	return drop, ho.track(old, next, gained, false)
}

// track registers the transfers of gained slots from their owner in prev
// and returns the function that starts the pulls. The caller holds ho.mu.
func (ho *handoff) track(prev, next *ring.Ring, gained []int, warm bool) (start func()) {
	bySource := map[string][]*inSlot{}
	sources := map[string]*handoffSource{}
	status := map[string]string{}
	for _, m := range ho.st.cl.Members() {
		status[m.Name] = m.Status
	}
	for _, slot := range gained {
		from := prev.SlotOwner(slot)
		if from.Name == ho.st.self {
			continue
		}
		src := sources[from.Name]
		if src == nil {
			src = &handoffSource{name: from.Name, addr: from.Addr, since: time.Now(),
				planned: ho.planned(next, from.Name, status[from.Name])}
			sources[from.Name] = src
		}
		in := &inSlot{slot: slot, src: src, warm: warm, resolved: map[string]struct{}{}}
		ho.in[slot].Store(in)
		ho.nIn.Add(1)
		if warm {
			ho.warmLeft.Add(1)
		}
		bySource[from.Name] = append(bySource[from.Name], in)
	}
	return func() {
		for _, slots := range bySource {
			ho.st.wg.Add(1)
			ho.pulls.Add(1)
			go ho.pull(slots)
		}
	}
}

// planned reports whether a previous owner gave its slots up in a planned
// change: it is still a member (a node joined), or it left gracefully.
// Reads of a slot from a previous owner that failed (crashed, cut off; or
// seen failed for a moment while it leaves) never wait for its fence: they
// miss, and only the bulk copy waits (fenceWait at most).
func (ho *handoff) planned(next *ring.Ring, name, status string) bool {
	if _, ok := next.Member(name); ok && status == "alive" {
		return true
	}
	return status == "left" || status == "leaving"
}

// fenceWait bounds how long a previous owner may answer that its ring
// does not give a slot to this node yet: a planned change reaches it
// within a coalescing period or a leave's drain (seconds on an overloaded
// host); one that never does
// (views that do not converge) counts as gone.
const fenceWait = 10 * time.Second

// joinAgreeCap bounds how long a joining node waits for every member to
// route with its ring before it serves anyway.
const joinAgreeCap = 3 * time.Second

// retarget, while a node joins, makes every slot it owns in next read
// through from its owner in the ring of the other members, keeping the
// keys already resolved when that owner changed (the first member list may
// be partial). The caller holds ho.mu.
func (ho *handoff) retarget(next *ring.Ring) {
	prev, err := ho.othersRing(next)
	if err != nil {
		return
	}
	status := map[string]string{}
	for _, m := range ho.st.cl.Members() {
		status[m.Name] = m.Status
	}
	sources := map[string]*handoffSource{}
	ho.warmUntil.Store(time.Now().Add(ho.cfg.warm).UnixNano())
	for slot := range ring.SlotCount {
		cur := ho.in[slot].Load()
		if next.SlotOwner(slot).Name != ho.st.self {
			ho.cancel(slot)
			continue
		}
		from := prev.SlotOwner(slot)
		if cur != nil && cur.src.name == from.Name {
			continue
		}
		resolved := map[string]struct{}{}
		if cur != nil {
			cur.mu.Lock()
			if cur.resolved != nil {
				resolved = cur.resolved
			}
			cur.mu.Unlock()
			ho.cancel(slot)
		}
		src := sources[from.Name]
		if src == nil {
			src = &handoffSource{name: from.Name, addr: from.Addr, since: time.Now(),
				planned: ho.planned(next, from.Name, status[from.Name])}
			sources[from.Name] = src
		}
		ho.in[slot].Store(&inSlot{slot: slot, src: src, warm: true, resolved: resolved})
		ho.nIn.Add(1)
		ho.warmLeft.Add(1)
	}
}

// awaitJoin waits until every member of next routes with it (or
// joinAgreeCap), then, if next is still the ring, starts copying every
// slot it owns from its previous owner (retarget chose them).
func (ho *handoff) awaitJoin(next *ring.Ring) {
	defer ho.st.wg.Done()
	begin := time.Now()
	for !ho.st.awaitPeers(ho.st.ctx, next, time.Second) && time.Since(begin) < joinAgreeCap {
		if ho.st.ctx.Err() != nil || ho.st.cl.Ring() != next {
			return
		}
	}
	ho.mu.Lock()
	if ho.joinDone || ho.st.cl.Ring() != next {
		ho.mu.Unlock()
		return
	}
	ho.joinDone = true
	bySource := map[*handoffSource][]*inSlot{}
	n := 0
	for slot := range ring.SlotCount {
		if in := ho.in[slot].Load(); in != nil {
			bySource[in.src] = append(bySource[in.src], in)
			n++
		}
	}
	ho.mu.Unlock()
	ho.s.log.Info("joined: copying this node's slots from their previous owners", "slots", n,
		"waited_for_agreement", time.Since(begin).Round(time.Millisecond))
	for _, slots := range bySource {
		ho.st.wg.Add(1)
		ho.pulls.Add(1)
		go ho.pull(slots)
	}
}

// othersRing is the ring of next's members but this node: who held the
// slots before this node joined.
func (ho *handoff) othersRing(next *ring.Ring) (*ring.Ring, error) {
	var rest []ring.Member
	for _, m := range next.Members() {
		if m.Name != ho.st.self {
			rest = append(rest, m)
		}
	}
	return ring.Build(ho.s.cfg.Cluster.Ring, rest)
}

// cancel ends the transfer of slot, if one runs.
func (ho *handoff) cancel(slot int) {
	if in := ho.in[slot].Swap(nil); in != nil {
		in.mu.Lock()
		in.cancelled = true
		in.mu.Unlock()
		ho.finished(in)
	}
}

// complete ends in's transfer if it is still the slot's.
func (ho *handoff) complete(in *inSlot) {
	if ho.in[in.slot].CompareAndSwap(in, nil) {
		in.mu.Lock()
		in.cancelled = true
		in.resolved = nil
		in.mu.Unlock()
		ho.finished(in)
	}
}

func (ho *handoff) finished(in *inSlot) {
	ho.nIn.Add(-1)
	if in.warm {
		ho.warmLeft.Add(-1)
	}
}

// warming reports whether the node still copies the slots it took when it
// joined, and at most cfg.warm after the join.
func (ho *handoff) warming() bool {
	return ho.enabled() && ho.warmLeft.Load() > 0 && time.Now().UnixNano() < ho.warmUntil.Load()
}

// resolveKeys makes this node's state of each key final before a command
// runs on it: a key of a slot still in transfer that this node does not
// hold is read through from the previous owner. It reports false when the
// previous owner is up but does not answer for the slot yet (its ring
// still owns it): the command must be retried (TRYAGAIN), since running it
// now could miss, or overwrite, a value that owner still takes writes
// for. Cheap when nothing moves.
func (ho *handoff) resolveKeys(keys [][]byte) bool {
	if ho == nil || ho.nIn.Load() == 0 {
		return true
	}
	for _, k := range keys {
		if in := ho.in[ring.KeySlotBytes(k)].Load(); in != nil && !ho.resolve(in, k) {
			return false
		}
	}
	return true
}

func (ho *handoff) resolve(in *inSlot, key []byte) bool {
	in.mu.Lock()
	if _, ok := in.resolved[string(key)]; ok || in.cancelled {
		in.mu.Unlock()
		return true
	}
	if ho.s.store.Contains(key) {
		in.resolved[string(key)] = struct{}{}
		in.mu.Unlock()
		return true
	}
	in.mu.Unlock()
	w, found, err := ho.readThrough(in, key)
	if errors.Is(err, errFenced) {
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if _, ok := in.resolved[string(key)]; ok || in.cancelled {
		return true
	}
	in.resolved[string(key)] = struct{}{}
	if e, live := w.entry(); found && live {
		if ok, _ := ho.s.store.ImportMissing(e); ok {
			ho.stats.readThroughHits.Add(1)
		}
	}
	return true
}

// importBatch installs a pulled batch, skipping resolved keys and keys
// this node holds, and returns how many it installed; false once the
// transfer was cancelled.
func (ho *handoff) importBatch(in *inSlot, b []wireEntry) (int, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cancelled {
		return 0, false
	}
	n := 0
	for _, w := range b {
		if _, ok := in.resolved[string(w.key)]; ok {
			continue
		}
		if e, live := w.entry(); live {
			if ok, _ := ho.s.store.ImportMissing(e); ok {
				n++
			}
		}
	}
	return n, true
}

// keptFor reports whether this node answers a pull of slot by node to
// (the fence of HELD, SLOTS and GET): the ring it routes with gives the
// slot to the asker, and every command routed here with an older ring has
// ended (inflight.go), so its copy no longer changes.
func (ho *handoff) keptFor(slot int, to string) bool {
	r := ho.st.cl.Ring()
	return r.SlotOwner(slot).Name == to && to != ho.st.self && ho.s.inFlightDrained(ho.st)
}

// release drops kept slots the new owner reports copied, if this node's
// ring still gives them to it, and returns how many it dropped.
func (ho *handoff) release(to string, slots []int) int {
	ho.mu.Lock()
	defer ho.mu.Unlock()
	n := 0
	for _, slot := range slots {
		if k, ok := ho.out[slot]; ok && k.to == to && ho.keptFor(slot, to) {
			delete(ho.out, slot)
			ho.s.store.DropSlot(slot)
			n++
		}
	}
	return n
}

// expire drops kept slots whose deadline passed.
func (ho *handoff) expire(now time.Time) {
	ho.mu.Lock()
	defer ho.mu.Unlock()
	for slot, k := range ho.out {
		if now.After(k.until) {
			delete(ho.out, slot)
			if r := ho.st.cl.Ring(); r.SlotOwner(slot).Name != ho.st.self {
				ho.s.store.DropSlot(slot)
				ho.stats.keptDropped.Add(1)
			}
		}
	}
}

// kept is the number of lost slots still kept for their new owners.
func (ho *handoff) kept() int {
	if ho == nil {
		return 0
	}
	ho.mu.Lock()
	defer ho.mu.Unlock()
	return len(ho.out)
}
