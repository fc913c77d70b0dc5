package cacheserver

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// Fast failover. A member whose process is gone is distinguishable from one
// that is paused or cut off: its RESP port refuses connections (a paused
// process's kernel still accepts them; the fault suite's partitions drop
// packets, so they time out). Each node watches the members whose
// replication stream to it went quiet (a primary sends a heartbeat every
// 100 ms) and probes the others at most every probeEvery: when a member's
// port refuses, it asks every other member to dial it too (RINGCACHE
// PROBE), and when a majority of the ring, itself counted, saw the refusal
// it excludes the member from its ring at once (internal/cluster Exclude:
// its slots move to their replicas, with data) and tells the others
// (RINGCACHE EXCLUDE; each checks the refusal itself). An excluded member
// is readmitted when its port accepts connections again (restarted under
// the same name and address) or gossip sees it elsewhere.

const (
	quietAfter = 200 * time.Millisecond // a stream this quiet gets its sender probed
	probeEvery = 500 * time.Millisecond // members without a stream to this node
	probeDial  = 300 * time.Millisecond
	watchTick  = 100 * time.Millisecond
)

// failoverWatch is a node's watchdog of its peers.
type failoverWatch struct {
	st       *clusterState
	mu       sync.Mutex
	busy     map[string]bool      // probes in flight
	probed   map[string]time.Time // last probe per member
	excluded map[string]string    // name → RESP address, until readmitted
}

// startFailover starts the watchdog (replicas only); it ends with st.ctx.
func (st *clusterState) startFailover() {
	if st.repl == nil {
		return
	}
	fw := &failoverWatch{st: st, busy: map[string]bool{}, probed: map[string]time.Time{}, excluded: map[string]string{}}
	st.fw = fw
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		t := time.NewTicker(watchTick)
		defer t.Stop()
		for {
			select {
			case <-st.ctx.Done():
				return
			case <-t.C:
				fw.tick()
			}
		}
	}()
}

// tick probes quiet members and readmits excluded ones that answer.
func (fw *failoverWatch) tick() {
	st := fw.st
	now := time.Now()
	fw.mu.Lock()
	for name, addr := range fw.excluded {
		if !st.cl.Excluded(name) {
			delete(fw.excluded, name)
		} else if !fw.busy[name] {
			fw.busy[name] = true
			st.wg.Add(1) // the watchdog goroutine holds st.wg: no Wait has begun
			go fw.readmit(name, addr)
		}
	}
	fw.mu.Unlock()
	if !st.ready() {
		return
	}
	st.replica.mu.Lock()
	heard := make(map[string]time.Time, len(st.replica.heard))
	for k, v := range st.replica.heard {
		heard[k] = v
	}
	st.replica.mu.Unlock()
	r := st.cl.Ring()
	for _, m := range r.Members() {
		if m.Name == st.self || now.Sub(heard[m.Name]) < quietAfter {
			continue
		}
		fw.mu.Lock()
		due := !fw.busy[m.Name] && (now.Sub(fw.probed[m.Name]) >= probeEvery || !heard[m.Name].IsZero())
		if due {
			fw.busy[m.Name], fw.probed[m.Name] = true, now
		}
		fw.mu.Unlock()
		if due {
			st.wg.Add(1)
			go fw.probe(r, m)
		}
	}
}

func (fw *failoverWatch) done(name string) {
	fw.mu.Lock()
	delete(fw.busy, name)
	fw.mu.Unlock()
	fw.st.wg.Done()
}

// exclusions is the number of members excluded now.
func (fw *failoverWatch) exclusions() int {
	if fw == nil {
		return 0
	}
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return len(fw.excluded)
}

// probe dials m and, if it refuses, confirms with the others and
// excludes it.
func (fw *failoverWatch) probe(r *ring.Ring, m ring.Member) {
	defer fw.done(m.Name)
	if !refuses(m.Addr) {
		return
	}
	st := fw.st
	ctx, cancel := context.WithTimeout(st.ctx, 2*probeDial)
	defer cancel()
	var others []string
	for _, o := range r.Members() {
		if o.Name != st.self && o.Name != m.Name {
			others = append(others, o.Addr)
		}
	}
	var mu sync.Mutex
	votes := 1
	forEachPeer(others, func(addr string) {
		raw, err := st.peers[0].Do(ctx, addr, [][]byte{[]byte("RINGCACHE"), []byte("PROBE"), []byte(m.Addr)}, nil)
		if err == nil && string(raw) == ":1\r\n" {
			mu.Lock()
			votes++
			mu.Unlock()
		}
	})
	if votes <= r.Len()/2 {
		return
	}
	st.replica.provenDead(m.Name)
	if !st.cl.Exclude(m.Name, m.Addr) {
		return
	}
	fw.noteExcluded(m.Name, m.Addr)
	forEachPeer(others, func(addr string) {
		_, _ = st.peers[0].Do(ctx, addr, [][]byte{[]byte("RINGCACHE"), []byte("EXCLUDE"), []byte(m.Name), []byte(m.Addr)}, nil)
	})
}

func (fw *failoverWatch) noteExcluded(name, addr string) {
	fw.mu.Lock()
	fw.excluded[name] = addr
	fw.mu.Unlock()
}

// readmit ends name's exclusion if its port accepts connections again.
func (fw *failoverWatch) readmit(name, addr string) {
	defer fw.done(name)
	c, err := net.DialTimeout("tcp", addr, probeDial)
	if err != nil {
		return
	}
	_ = c.Close()
	fw.mu.Lock()
	delete(fw.excluded, name)
	fw.mu.Unlock()
	fw.st.cl.Readmit(name)
}

// refuses reports whether a TCP connection to addr is refused (no process
// listens): not a timeout, which a pause or a partition also gives.
func refuses(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, probeDial)
	if err == nil {
		_ = c.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// ringcacheProbe is RINGCACHE PROBE <addr> (peers only, ring members'
// addresses only): 1 if a connection to addr is refused, else 0.
func ringcacheProbe(c *conn, args [][]byte) {
	st, ok := c.failoverPeer(args, 3)
	if !ok {
		return
	}
	addr := string(args[2])
	for _, m := range st.cl.Ring().Members() {
		if m.Addr == addr && m.Name != st.self {
			c.w.WriteInt(boolInt(refuses(addr)))
			return
		}
	}
	c.w.WriteInt(0)
}

// ringcacheExclude is RINGCACHE EXCLUDE <name> <addr> (peers only): a
// member that confirmed name dead with a majority tells this node, which
// excludes it if its own dial is refused too.
func ringcacheExclude(c *conn, args [][]byte) {
	st, ok := c.failoverPeer(args, 4)
	if !ok {
		return
	}
	name, addr := string(args[2]), string(args[3])
	if !st.ready() || !refuses(addr) {
		c.w.WriteInt(0)
		return
	}
	st.replica.provenDead(name)
	if st.cl.Exclude(name, addr) {
		st.fw.noteExcluded(name, addr)
		c.w.WriteInt(1)
		return
	}
	c.w.WriteInt(0)
}

// peerCluster returns the cluster state for a RINGCACHE subcommand that
// only peers may send (what names it in the error), or replies the error
// and returns nil: on a standalone node, or on a connection that did not
// prove the cluster secret (RINGCACHE PEER).
func (c *conn) peerCluster(what string) *clusterState {
	st := c.srv.cs.Load()
	switch {
	case st == nil:
		c.replyErrString(clusterDisabledErr)
	case !c.peer:
		c.replyErrString("NOPERM RINGCACHE " + what + " is only accepted on an authenticated peer connection (RINGCACHE PEER)")
	default:
		return st
	}
	return nil
}

func (c *conn) failoverPeer(args [][]byte, n int) (*clusterState, bool) {
	st := c.peerCluster("PROBE and EXCLUDE")
	switch {
	case st == nil:
	case len(args) != n:
		c.replyErrString(arityErr("ringcache|" + string(args[1])))
	case st.fw == nil:
		c.w.WriteInt(0)
	default:
		return st, true
	}
	return nil, false
}
