package cacheserver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"
	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/ring"
)

// The previous owner's side of a hand-off, its commands, and the
// hand-off's life cycle, INFO and drain.

// handoffFencedErr answers a pull for a slot this node's ring does not
// give to the asker (yet).
const handoffFencedErr = "TRYAGAIN handoff: this node does not route the slot to the asker yet"

// ringcacheHandoff is RINGCACHE HANDOFF HELD|SLOTS|GET|DONE <asker> ..., on
// authenticated peer connections only.
func ringcacheHandoff(c *conn, args [][]byte) {
	st := c.peerCluster("HANDOFF")
	switch {
	case st == nil:
		return
	case !st.ho.enabled():
		c.replyErrString("ERR hand-off is disabled on this node")
		return
	}
	asker := string(args[3])
	switch sub := strings.ToLower(string(args[2])); {
	case sub == "slots":
		handoffSlots(c, st.ho, asker, args[4:])
	case sub == "held":
		handoffHeld(c, st.ho, asker, args[4:])
	case sub == "get" && len(args) == 5:
		handoffGet(c, st.ho, asker, args[4])
	case sub == "done":
		slots := make([]int, 0, len(args)-4)
		for _, a := range args[4:] {
			if n, err := strconv.Atoi(string(a)); err == nil && n >= 0 && n < ring.SlotCount {
				slots = append(slots, n)
			}
		}
		c.w.WriteInt(int64(st.ho.release(asker, slots)))
	default:
		c.replyErrString("ERR syntax error")
	}
}

// handoffSlots answers SLOTS <slot>...: [covered, key, value, expiry-ms,
// kind, ...]: every key of the first covered slots (at least one; the reply
// ends at the first slot end past pullBytes), hottest first.
func handoffSlots(c *conn, ho *handoff, asker string, args [][]byte) {
	slots := make([]int, len(args))
	for i, a := range args {
		slot, err := strconv.Atoi(string(a))
		if err != nil || slot < 0 || slot >= ring.SlotCount {
			c.replyErrString("ERR syntax error")
			return
		}
		if !ho.keptFor(slot, asker) {
			c.replyErrString(handoffFencedErr)
			return
		}
		slots[i] = slot
	}
	if len(slots) == 0 {
		c.replyErrString("ERR syntax error")
		return
	}
	at := time.Now() // before the store reads its clock: see expiryMillis
	ents, heat, covered := ho.s.store.ExportSlots(slots, pullBytes)
	order := make([]int, len(ents))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(heat[y], heat[x]) })
	c.w.WriteArray(1 + 4*len(ents))
	c.w.WriteBulkString(strconv.Itoa(covered))
	n := 0
	for _, i := range order {
		e := ents[i]
		c.w.WriteBulk(e.Key)
		c.w.WriteBulk(e.Value)
		c.w.WriteBulkString(strconv.FormatInt(expiryMillis(at, e.TTL), 10))
		c.w.WriteInt(int64(e.Kind))
		n += len(e.Key) + len(e.Value)
	}
	ho.stats.keysOut.Add(int64(len(ents)))
	ho.stats.bytesOut.Add(int64(n))
}

// handoffHeld answers HELD <slot>...: one digit per slot, 0 when this
// node holds nothing of it for the asker (nothing to copy; an empty kept
// slot is released), 1 when it keeps the slot's keys for the asker, 2 when
// its ring does not give the slot to the asker yet (ask again).
func handoffHeld(c *conn, ho *handoff, asker string, slots [][]byte) {
	out := make([]byte, len(slots))
	nonEmpty := ho.s.store.SlotsWithKeys()
	ho.mu.Lock()
	for i, a := range slots {
		slot, err := strconv.Atoi(string(a))
		switch {
		case err != nil || slot < 0 || slot >= ring.SlotCount:
			ho.mu.Unlock()
			c.replyErrString("ERR syntax error")
			return
		case !ho.keptFor(slot, asker):
			out[i] = '2'
		case ho.out[slot].to == asker && nonEmpty[slot]:
			out[i] = '1'
		case ho.out[slot].to == asker:
			delete(ho.out, slot)
			out[i] = '0'
		default:
			out[i] = '0'
		}
	}
	ho.mu.Unlock()
	c.w.WriteBulk(out)
}

// handoffGet answers GET <key>: [value, expiry-ms, kind], or null.
func handoffGet(c *conn, ho *handoff, asker string, key []byte) {
	if !ho.keptFor(ring.KeySlotBytes(key), asker) {
		c.replyErrString(handoffFencedErr)
		return
	}
	at := time.Now() // before the store reads its clock: see expiryMillis
	e, ok := ho.s.store.Lookup(key)
	if !ok {
		c.w.WriteNullArray()
		return
	}
	c.w.WriteArray(3)
	c.w.WriteBulk(e.Value)
	c.w.WriteBulkString(strconv.FormatInt(expiryMillis(at, e.TTL), 10))
	c.w.WriteInt(int64(e.Kind))
}

// ringcacheDrain is RINGCACHE DRAIN: asks the program running the server
// for a graceful leave, as SIGTERM does (Server.DrainRequested): the
// node's slots are handed over, then it leaves and stops.
func ringcacheDrain(c *conn) {
	switch {
	case !c.authed:
		c.replyErrString(noAuthErr)
	case c.srv.cs.Load() == nil:
		c.replyErrString(clusterDisabledErr)
	default:
		c.srv.drainReq.request()
		c.w.WriteSimple("OK")
	}
}

// drainRequest is RINGCACHE DRAIN's signal; its zero value is ready.
type drainRequest struct {
	mu   sync.Mutex
	ch   chan struct{}
	done bool
}

func (d *drainRequest) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.channel()
}

func (d *drainRequest) channel() chan struct{} {
	if d.ch == nil {
		d.ch = make(chan struct{})
	}
	return d.ch
}

func (d *drainRequest) request() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done {
		d.done = true
		close(d.channel())
	}
}

// DrainRequested is closed once a client sent RINGCACHE DRAIN: the
// program should then call Shutdown, as on SIGTERM.
func (s *Server) DrainRequested() <-chan struct{} { return s.drainReq.wait() }

// startHandoff builds the hand-off state of a clustered node: its own
// pool of authenticated peer connections and the janitor that drops kept
// slots at their deadline.
func (s *Server) startHandoff(st *clusterState, cc ClusterConfig) error {
	cfg := handoffConfig{rate: cc.HandoffRate, keep: cc.HandoffKeep, readThrough: cc.HandoffReadThrough,
		warm: cc.HandoffWarm, drain: cc.HandoffDrain}
	fc := forward.DefaultConfig()
	fc.ConnsPerPeer, fc.Timeout = 1, 5*time.Second
	fc.Reader.MaxBulkLen = s.cfg.MaxBulkLen
	fc.Authenticate = s.authenticatePeer
	if s.cfg.TLS.Cluster {
		fc.TLS = s.tls.peerConfig
	}
	pool, err := forward.New(fc)
	if err != nil {
		return err
	}
	st.ho = newHandoff(s, st, cfg, pool)
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-st.ctx.Done():
				return
			case now := <-t.C:
				st.ho.expire(now)
			}
		}
	}()
	return nil
}

// awaitHandoffOut waits, during a graceful leave, until the new owners
// report every slot of this node copied, at most cfg.drain.
func (ho *handoff) awaitHandoffOut(ctx context.Context) {
	if !ho.enabled() {
		return
	}
	begin, kept, wait := time.Now(), ho.kept(), ho.cfg.drain
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2) // leave the rest of the shutdown its time
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for ho.kept() > 0 && ctxsleep.Sleep(ctx, 20*time.Millisecond) == nil {
	}
	ho.s.log.Info("draining: hand-off of this node's slots", "slots", kept, "left_uncopied", ho.kept(),
		"keys_sent", ho.stats.keysOut.Load(), "bytes_sent", ho.stats.bytesOut.Load(),
		"waited", time.Since(begin).Round(time.Millisecond))
}

// HandoffIdle reports whether no slot is being copied to this node (and
// no copy still has to report DONE). Standalone or hand-off off: true.
func (s *Server) HandoffIdle() bool {
	st := s.cs.Load()
	return st == nil || !st.ho.enabled() || st.ho.nIn.Load() == 0 && st.ho.pulls.Load() == 0
}

// handoffInfo appends the hand-off fields of INFO ringcache.
func (ho *handoff) info(field func(name string, v any)) {
	if ho == nil {
		return
	}
	st := &ho.stats
	field("ringcache_handoff_enabled", ho.enabled())
	field("ringcache_handoff_in_slots", ho.nIn.Load())
	field("ringcache_handoff_kept_slots", ho.kept())
	field("ringcache_handoff_warming", ho.warming())
	field("ringcache_handoff_keys_in", st.keysIn.Load())
	field("ringcache_handoff_bytes_in", st.bytesIn.Load())
	field("ringcache_handoff_keys_out", st.keysOut.Load())
	field("ringcache_handoff_bytes_out", st.bytesOut.Load())
	field("ringcache_handoff_read_throughs", st.readThroughs.Load())
	field("ringcache_handoff_read_through_hits", st.readThroughHits.Load())
	field("ringcache_handoff_transfers", st.transfers.Load())
	field("ringcache_handoff_slots_copied", st.slotsDone.Load())
	field("ringcache_handoff_slots_failed", st.slotsFailed.Load())
	field("ringcache_handoff_kept_expired", st.keptDropped.Load())
}

// handoffErr formats an unknown RINGCACHE subcommand reply.
func handoffUsage(sub []byte) string {
	return fmt.Sprintf("ERR unknown subcommand '%.128s'. Try RINGCACHE PEER, EPOCH [name], HANDOFF or DRAIN.", sub)
}
