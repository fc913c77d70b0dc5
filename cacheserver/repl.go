package cacheserver

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// Replication, primary side. Each slot's owner streams the slot's writes to
// the slot's replicas (ring.ReplicaSet: successive owners), asynchronously,
// over one authenticated peer connection per replica, so they arrive in
// order. What travels is a key's state, read when it is sent: a write
// command queues its keys, and the sender reads each one's value and
// remaining TTL then (SET key pttl value) or its absence (DEL key). So
// expiries, evictions, deletes, renames and overwrites all arrive as the
// key's current state, and a burst of writes to one key may arrive as its
// last state only. A replica that is new for a slot, or whose stream broke,
// catches up by snapshot: SYNC slot (the replica empties it), the slot's
// entries (store.ExportSlot), SYNCED slot (the replica's copy is now
// complete); writes queued meanwhile follow it and re-read their keys, so
// the copy converges. A queue longer than replQueueMax is dropped for a
// full resync (memory stays bounded). Offsets count the queued writes
// (master_repl_offset); a replica's acknowledged offset is the offset of
// the last write it confirmed, which WAIT waits for (repl_cmds.go).
//
// Messages: RINGCACHE REPL <from> <epoch-hex> <seq> <op> [args]; seq counts
// the messages of one stream from 1, and a replica that sees a gap refuses
// until the stream restarts at 1 (replica.go).

const (
	replBatch     = 256     // messages sent before their replies are awaited
	replQueueMax  = 1 << 20 // queued writes per replica before a full resync
	replHeartbeat = 100 * time.Millisecond
	replBackoff   = 100 * time.Millisecond
)

// replItem is one queued message: a key's state, a snapshot of a slot, or
// FLUSHALL.
type replItem struct {
	op   byte // 'k' key, 's' sync slot, 'f' flush
	slot uint16
	key  string
	off  uint64
}

// replicator streams this node's owned slots to their replicas.
type replicator struct {
	srv     *Server
	st      *clusterState
	pool    *forward.Pool
	ro      [4]*forward.Pool // READONLY peer connections, by protocol (repl_read.go)
	off     atomic.Uint64    // master_repl_offset
	targets atomic.Pointer[map[string]*replTarget]
	mu      sync.Mutex // guards target changes and acked
	acked   chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// replTarget is one replica node and the stream to it.
type replTarget struct {
	name, addr string
	rp         *replicator
	mu         sync.Mutex
	q          []replItem
	slots      []bool // slots it replicates from this node
	full       bool   // restart the stream: resync every slot
	refused    []int  // slots the replica refused, synced again after replBackoff
	refusedAt  time.Time
	wake       chan struct{}
	acked      atomic.Uint64
	online     atomic.Bool
	stopped    atomic.Bool
	lastAck    atomic.Int64 // unix nanoseconds of the last reply
	seq        uint64       // sender goroutine only
	cancel     context.CancelFunc
}

// newReplicator starts replication for a clustered server whose ring
// config asks for replicas; nil otherwise.
func (s *Server) newReplicator(st *clusterState, cc ClusterConfig) (*replicator, error) {
	if cc.Ring.Replicas == 0 {
		return nil, nil
	}
	fc := forward.DefaultConfig()
	fc.ConnsPerPeer, fc.Timeout, fc.QueueLen = 1, cc.ForwardTimeout, 4*replBatch
	fc.Reader.MaxBulkLen = s.cfg.MaxBulkLen
	fc.Authenticate = s.authenticatePeer
	if s.cfg.TLS.Cluster {
		fc.TLS = s.tls.peerConfig
	}
	p, err := forward.New(fc)
	if err != nil {
		return nil, err
	}
	rp := &replicator{srv: s, st: st, pool: p, acked: make(chan struct{})}
	for _, proto := range []int{2, 3} {
		rc := fc
		rc.ConnsPerPeer = cc.ForwardConns
		rc.Handshake = [][]string{{"READONLY"}}
		if proto == 3 {
			rc.Handshake = append(rc.Handshake, []string{"HELLO", "3"})
		}
		if rp.ro[proto], err = forward.New(rc); err != nil {
			rp.closePools()
			return nil, err
		}
	}
	rp.ctx, rp.cancel = context.WithCancel(context.Background())
	rp.targets.Store(&map[string]*replTarget{})
	return rp, nil
}

// close stops every stream.
func (rp *replicator) close() {
	if rp == nil {
		return
	}
	rp.cancel()
	rp.closePools() // fails the messages in flight, so the senders return
	rp.wg.Wait()
}

func (rp *replicator) closePools() {
	for _, p := range append([]*forward.Pool{rp.pool}, rp.ro[:]...) {
		if p != nil {
			_ = p.Close()
		}
	}
}

// target returns the stream to the member called name, or nil.
func (rp *replicator) target(name string) *replTarget { return (*rp.targets.Load())[name] }

// applyRing sets the streams for ring r: one per member holding a replica
// of a slot this node owns; a slot new to a stream is synced by snapshot.
func (rp *replicator) applyRing(r *ring.Ring) {
	self := rp.st.self
	want := map[string][]bool{}
	addrs := map[string]string{}
	for slot := range ring.SlotCount {
		if !r.Owns(self, slot) {
			continue
		}
		for k := 1; k <= r.ReplicaCount(); k++ {
			m := r.Replica(slot, k)
			if want[m.Name] == nil {
				want[m.Name], addrs[m.Name] = make([]bool, ring.SlotCount), m.Addr
			}
			want[m.Name][slot] = true
		}
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	old := *rp.targets.Load()
	next := make(map[string]*replTarget, len(want))
	for name, slots := range want {
		t := old[name]
		if t != nil && t.addr != addrs[name] {
			t.stop()
			t = nil
		}
		if t == nil {
			t = rp.startTarget(name, addrs[name])
		}
		t.setSlots(slots, rp.off.Load())
		next[name] = t
	}
	for name, t := range old {
		if next[name] == nil {
			t.stop()
		}
	}
	rp.targets.Store(&next)
}

// stop ends the stream; WAIT no longer counts it (repl_cmds.go).
func (t *replTarget) stop() {
	t.stopped.Store(true)
	t.cancel()
}

func (rp *replicator) startTarget(name, addr string) *replTarget {
	ctx, cancel := context.WithCancel(rp.ctx)
	t := &replTarget{name: name, addr: addr, rp: rp, wake: make(chan struct{}, 1), cancel: cancel,
		slots: make([]bool, ring.SlotCount), full: true}
	rp.wg.Add(1)
	go func() {
		defer rp.wg.Done()
		t.run(ctx)
	}()
	return t
}

// setSlots replaces the target's slots; slots new to it are synced.
func (t *replTarget) setSlots(slots []bool, off uint64) {
	t.mu.Lock()
	for s, on := range slots {
		if on && !t.slots[s] && !t.full {
			t.q = append(t.q, replItem{op: 's', slot: uint16(s), off: off})
		}
	}
	t.slots = slots
	t.mu.Unlock()
	t.poke()
}

func (t *replTarget) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// push queues it; a queue past replQueueMax turns into a full resync.
func (t *replTarget) push(it replItem) {
	t.mu.Lock()
	if !t.full {
		if len(t.q) >= replQueueMax {
			t.q, t.full = nil, true
		} else {
			t.q = append(t.q, it)
		}
	}
	t.mu.Unlock()
	t.poke()
}

// noteKey queues key's state for the replicas of its slot and returns the
// write's offset and the slot's replica count (0: nothing to replicate).
func (rp *replicator) noteKey(r *ring.Ring, key []byte, fn func(t *replTarget, off uint64)) (width int) {
	slot := ring.KeySlotBytes(key)
	if !r.Owns(rp.st.self, slot) {
		return 0
	}
	n := r.ReplicaCount()
	if n == 0 {
		return 0
	}
	off := rp.off.Add(1)
	it := replItem{op: 'k', slot: uint16(slot), key: string(key), off: off}
	for k := 1; k <= n; k++ {
		if t := rp.target(r.Replica(slot, k).Name); t != nil {
			t.push(it)
			if fn != nil {
				fn(t, off)
			}
		}
	}
	return n
}

// flush queues FLUSHALL for every replica.
func (rp *replicator) flush(fn func(t *replTarget, off uint64)) {
	off := rp.off.Add(1)
	for _, t := range *rp.targets.Load() {
		t.push(replItem{op: 'f', off: off})
		if fn != nil {
			fn(t, off)
		}
	}
}

// onRemove queues an expired or evicted key (the store's OnRemove, under
// its shard lock: only queues).
func (rp *replicator) onRemove(key []byte) {
	rp.noteKey(rp.st.cl.Ring(), key, nil)
}

// notifyAck wakes WAIT callers.
func (rp *replicator) notifyAck() {
	rp.mu.Lock()
	close(rp.acked)
	rp.acked = make(chan struct{})
	rp.mu.Unlock()
}

// ackCh returns a channel closed at the next acknowledgement.
func (rp *replicator) ackCh() <-chan struct{} {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.acked
}

// run is the target's sender: it sends queued messages in batches, a
// heartbeat when idle, and restarts the stream with a full resync after an
// error.
func (t *replTarget) run(ctx context.Context) {
	tick := time.NewTicker(replHeartbeat)
	defer tick.Stop()
	for ctx.Err() == nil {
		batch := t.take()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-t.wake:
			case now := <-tick.C:
				t.resyncRefused(now)
				t.send(ctx, []replItem{{op: 'p'}})
			}
			continue
		}
		t.send(ctx, batch)
	}
}

// take returns the next messages to send; after a full-resync request it
// restarts the stream (seq 1) with a sync of every slot.
func (t *replTarget) take() []replItem {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.full {
		t.full, t.seq = false, 0
		off := t.rp.off.Load()
		t.q = t.q[:0]
		for s, on := range t.slots {
			if on {
				t.q = append(t.q, replItem{op: 's', slot: uint16(s), off: off})
			}
		}
		if len(t.q) == 0 {
			t.q = append(t.q, replItem{op: 'p'}) // start the stream even without slots
		}
	}
	n := min(len(t.q), replBatch)
	batch := append([]replItem(nil), t.q[:n]...)
	t.q = append(t.q[:0], t.q[n:]...)
	return batch
}

// send sends batch and waits for the replies, at most 4×replBatch in
// flight (a snapshot is many messages). A refused slot is synced again;
// any other failure restarts the stream after a pause.
func (t *replTarget) send(ctx context.Context, batch []replItem) {
	var w replWait
	var top uint64
	emit := func(args ...[]byte) {
		w.calls = append(w.calls, t.rp.pool.Send(t.addr, 0, t.header(args)))
		if len(w.calls) >= 4*replBatch {
			w.collect()
		}
	}
	for i := 0; i < len(batch) && ctx.Err() == nil; i++ {
		top = max(top, batch[i].off)
		if batch[i].op != 's' {
			t.message(batch[i], emit)
			continue
		}
		var slots []int
		for ; i < len(batch) && batch[i].op == 's'; i++ {
			slots, top = append(slots, int(batch[i].slot)), max(top, batch[i].off)
		}
		i--
		t.snapshot(slots, emit)
	}
	w.collect()
	if ctx.Err() != nil {
		return
	}
	t.lastAck.Store(time.Now().UnixNano())
	if w.failed {
		t.online.Store(false)
		t.mu.Lock()
		t.full = true
		t.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(replBackoff):
		}
		return
	}
	t.online.Store(true)
	if len(w.resync) > 0 {
		t.mu.Lock()
		t.refused, t.refusedAt = append(t.refused, w.resync...), time.Now()
		t.mu.Unlock()
	}
	if top > t.acked.Load() {
		t.acked.Store(top)
		t.rp.notifyAck()
	}
}

// replWait collects the replies of messages in flight.
type replWait struct {
	calls  []*forward.Call
	resync []int
	failed bool
}

// refusedPrefix starts a replica's refusal; the refused slots follow.
const refusedPrefix = "TRYAGAIN not replicated here:"

func (w *replWait) collect() {
	for _, k := range w.calls {
		raw, err := k.Wait(nil)
		switch {
		case err != nil || len(raw) == 0:
			w.failed = true
		case hasPrefix(raw, "-"+refusedPrefix):
			for _, f := range strings.Fields(string(raw[1+len(refusedPrefix):])) {
				if s, err := strconv.Atoi(f); err == nil && s >= 0 && s < ring.SlotCount {
					w.resync = append(w.resync, s)
				}
			}
		case raw[0] == '-':
			w.failed = true
		}
	}
	w.calls = w.calls[:0]
}

// resyncRefused queues, at most once per replBackoff, a sync of the
// slots the replica refused (its ring did not yet name it a replica of
// this node's slot).
func (t *replTarget) resyncRefused(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.refused) == 0 || now.Sub(t.refusedAt) < replBackoff {
		return
	}
	off, seen := t.rp.off.Load(), map[int]bool{}
	for _, s := range t.refused {
		if t.slots[s] && !t.full && !seen[s] {
			seen[s] = true
			t.q = append(t.q, replItem{op: 's', slot: uint16(s), off: off})
		}
	}
	t.refused = t.refused[:0]
}

// header prefixes a message with the stream's identity and sequence.
func (t *replTarget) header(args [][]byte) [][]byte {
	t.seq++
	st := t.rp.st
	h := [][]byte{[]byte("RINGCACHE"), []byte("REPL"), []byte(st.self),
		[]byte(strconv.FormatUint(st.cl.Ring().Epoch(), 16)), []byte(strconv.FormatUint(t.seq, 10))}
	return append(h, args...)
}

// message turns one queued key or flush into a message, reading the
// store now.
func (t *replTarget) message(it replItem, emit func(args ...[]byte)) {
	s := t.rp.srv.store
	switch it.op {
	case 'p':
		emit([]byte("PING"))
	case 'f':
		emit([]byte("FLUSH"))
	case 'k':
		key, sl := []byte(it.key), []byte(strconv.Itoa(int(it.slot)))
		if e, ok := s.ExportKey(key); ok {
			emit(setArgs(sl, e)...)
		} else {
			emit([]byte("DEL"), sl, key)
		}
	}
}

// snapshot sends slots whole: SYNC (the replica empties them), every entry
// of the non-empty ones, SYNCED (the copies are complete).
func (t *replTarget) snapshot(slots []int, emit func(args ...[]byte)) {
	s := t.rp.srv.store
	list := make([][]byte, len(slots))
	for i, slot := range slots {
		list[i] = []byte(strconv.Itoa(slot))
	}
	emit(append([][]byte{[]byte("SYNC")}, list...)...)
	for i, slot := range slots {
		if s.CountKeysInSlot(slot) == 0 {
			continue
		}
		s.ExportSlot(slot, replBatch, func(es []store.Entry) bool {
			for _, e := range es {
				emit(setArgs(list[i], e)...)
			}
			return true
		})
	}
	emit(append([][]byte{[]byte("SYNCED")}, list...)...)
}

// setArgs is the message copying e, of any kind: SET slot key pttl value,
// then the store.Kind in decimal for a hash or set (its value is the
// store's encoding, which Import reads).
func setArgs(slot []byte, e store.Entry) [][]byte {
	a := [][]byte{[]byte("SET"), slot, e.Key, ttlArg(e.TTL), e.Value}
	if e.Kind != store.KindString {
		a = append(a, []byte(strconv.Itoa(int(e.Kind))))
	}
	return a
}

// ttlArg is a TTL in whole milliseconds (at least 1), "0" for none.
func ttlArg(d time.Duration) []byte {
	if d <= 0 {
		return []byte("0")
	}
	return []byte(strconv.FormatInt(max(d.Milliseconds(), 1), 10))
}

func hasPrefix(raw []byte, p string) bool { return len(raw) >= len(p) && string(raw[:len(p)]) == p }
