package cacheserver

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"

	"github.com/ringcache/ringcache/ring"
)

// Fencing on a clustered node (the lease itself is internal/cluster's):
// after a lapse of its lease the node drops every key before it serves
// again, and serves again only once a majority, and every member of its
// ring, routes with its ring epoch and sees it alive (RINGCACHE EPOCH). A node leaving gracefully keeps
// serving until its peers route without it, then redirects every key to
// its new owner until its listener closes.

// fence drops every key: the node's lease lapsed, so its peers may have
// taken its slots over (and written them) meanwhile.
func (s *Server) fence() {
	n := s.store.DropSlots(func(int) bool { return true })
	if st := s.cs.Load(); st != nil {
		st.replica.forget() // no replica copy survives a lapse either
	}
	s.leases.voidAll() // tokens granted before the lapse predate the peers' writes
	s.track.flushAll()
	s.log.Warn("lease regained after a lapse: dropped every key before serving again", "dropped_keys", n)
}

// agree counts the peers (RESP addresses) that route with the ring of
// epoch and see self alive, and returns for how long all of those have
// kept that ring (their ring's age less the time the question took).
// Every other member of this node's ring must agree too, or agree answers
// 0: a member still routing with an older ring may own, and take writes
// for, a slot this node owns in its own (a partition healing: the member
// that has not yet re-added this node serves its slots), so this node must
// not serve before that member has caught up.
func (st *clusterState) agree(ctx context.Context, self string, epoch uint64, peers []string) (int, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, st.cl.LeaseTTL())
	defer cancel()
	begin := time.Now()
	inRing := map[string]bool{}
	for _, m := range st.cl.Ring().Members() {
		if m.Name != self {
			inRing[m.Addr] = true
		}
	}
	asked := append([]string(nil), peers...)
	for a := range inRing {
		if !slices.Contains(peers, a) {
			asked = append(asked, a)
		}
	}
	var mu sync.Mutex
	agreed := map[string]time.Duration{}
	forEachPeer(asked, func(addr string) {
		if e, age, ok := st.peerEpoch(ctx, addr, self); ok && e == epoch {
			mu.Lock()
			agreed[addr] = age
			mu.Unlock()
		}
	})
	for a := range inRing {
		if _, ok := agreed[a]; !ok {
			return 0, 0
		}
	}
	n, stable := 0, time.Duration(math.MaxInt64)
	for _, a := range peers {
		if age, ok := agreed[a]; ok {
			n, stable = n+1, min(stable, age)
		}
	}
	if n == 0 {
		return 0, 0
	}
	return n, max(0, stable-time.Since(begin))
}

// forEachPeer runs fn for every address concurrently and waits for all.
func forEachPeer(addrs []string, fn func(addr string)) {
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(a)
		}()
	}
	wg.Wait()
}

// peerEpoch asks the node at addr for the epoch of the ring it routes
// with and how long ago it adopted it, on the condition that it sees self
// (when not empty) alive in it.
func (st *clusterState) peerEpoch(ctx context.Context, addr, self string) (uint64, time.Duration, bool) {
	args := [][]byte{[]byte("RINGCACHE"), []byte("EPOCH")}
	if self != "" {
		args = append(args, []byte(self))
	}
	raw, err := st.peers[0].Do(ctx, addr, args, nil)
	if err != nil || len(raw) < 3 || raw[0] != '+' {
		return 0, 0, false
	}
	hexEpoch, ms, _ := strings.Cut(string(bytes.TrimSpace(raw[1:])), " ")
	e, err := strconv.ParseUint(hexEpoch, 16, 64)
	age, _ := strconv.ParseInt(ms, 10, 64)
	return e, time.Duration(age) * time.Millisecond, err == nil
}

// ringcacheEpoch is RINGCACHE EPOCH [name]: "<epoch-hex> <age-ms>", the
// epoch of the ring this node routes with and how long ago it adopted it;
// with a name, only if that member is in the ring and gossip sees it alive.
func ringcacheEpoch(c *conn, args [][]byte) {
	st := c.srv.cs.Load()
	if st == nil {
		c.replyErrString(clusterDisabledErr)
		return
	}
	r := st.cl.Ring()
	if len(args) > 2 && !st.aliveIn(r, string(args[2])) {
		c.replyErrString("ERR not a member of this node's ring")
		return
	}
	c.w.WriteSimple(strconv.FormatUint(r.Epoch(), 16) + " " + strconv.FormatInt(st.cl.RingAge().Milliseconds(), 10))
}

// aliveIn reports whether name is in r and alive in gossip's view.
func (st *clusterState) aliveIn(r *ring.Ring, name string) bool {
	if _, ok := r.Member(name); !ok {
		return false
	}
	for _, m := range st.cl.Members() {
		if m.Name == name {
			return m.Status == "alive"
		}
	}
	return false
}

// leaveCluster tells peers this node is leaving (they record it as left,
// not failed), keeps serving until they route without it (at most
// LeaveDrain), then routes every key to its new owner (-MOVED or forward)
// for LeaveDrain before the listeners close, so cluster clients follow
// without waiting for a reload timer.
func (s *Server) leaveCluster(ctx context.Context) {
	st := s.cs.Load()
	if st == nil {
		return
	}
	// Keep routing with the ring that includes this node until the peers
	// have applied the leave: until then they still send its slots here.
	st.cl.SetPaused(true)
	next, nextErr := st.cl.Successor()
	if err := st.cl.Leave(); err != nil {
		s.log.Warn("leaving the cluster", "err", err)
	}
	drain := s.cfg.Cluster.LeaveDrain
	if nextErr == nil {
		begin := time.Now()
		agreed := st.awaitPeers(ctx, next, drain)
		st.cl.Depart(next)
		s.log.Info("draining: redirecting every key to its new owner", "peers_agreed", agreed,
			"waited", time.Since(begin))
		st.ho.awaitHandoffOut(ctx) // handoff_cmd.go: the new owners copy this node's slots first
	}
	_ = ctxsleep.Sleep(ctx, drain)
}

// awaitPeers polls next's other members until all route with next, at
// most d.
func (st *clusterState) awaitPeers(ctx context.Context, next *ring.Ring, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var addrs []string
	for _, m := range next.Members() {
		if m.Name != st.self {
			addrs = append(addrs, m.Addr)
		}
	}
	for {
		var n atomic.Int32
		forEachPeer(addrs, func(addr string) {
			if e, _, ok := st.peerEpoch(ctx, addr, ""); ok && e == next.Epoch() {
				n.Add(1)
			}
		})
		if int(n.Load()) == len(addrs) {
			return true
		}
		if ctxsleep.Sleep(ctx, 10*time.Millisecond) != nil {
			return false
		}
	}
}
