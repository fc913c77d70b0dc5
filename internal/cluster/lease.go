package cluster

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/membership"
)

// The lease. A node may serve keys only while it holds a lease: it has
// confirmed, within the last TTL, that a majority of its basis (the members
// it last knew while it held the lease, itself included) answered a gossip
// ping. Peers declare a silent node failed no earlier than
// membership.Detection.Min after its last answer, and TTL is shorter than
// that, so a node that is cut off or paused stops serving before its slots
// can move. Pings go to every basis member every TTL/10 (at most two
// awaiting their ack), each with the profile's probe timeout; the lease
// runs from the send time of the ping whose ack completed the majority,
// read on the monotonic clock.
//
// The basis shrinks only while the lease is held (a member that left
// gracefully is dropped at once): an isolated node that has declared its
// peers failed does not become a majority of itself. After a lapse the node
// serves again only when a majority answers its pings again, a majority
// (itself counted) routes with its ring epoch and sees it alive (Agree),
// and it has dropped its data (Fence), so nothing it held before the lapse
// comes back. A lapse so short that a majority answered again within half
// the margin (detection minus TTL) after it began ends without fencing: no
// peer can have declared the node failed before answering.

const (
	noExpiry    = math.MaxInt64
	pingsPerTTL = 10 // pings to each member per lease
	maxInflight = 2  // pings to one member awaiting their ack
)

// leaseMember is a basis member other than this node.
type leaseMember struct {
	gossip, resp string
	acked        int64 // send time of the latest acked ping (ns since base); 0: none
	inflight     int   // pings in flight (at most maxInflight)
}

// agreeFunc asks the peers at the given RESP addresses whether they route
// with this node's ring epoch and see it alive; it returns how many do and
// for how long all of those have kept their ring (0 when unknown).
type agreeFunc func(ctx context.Context, peers []string) (agreeing int, stable time.Duration)

type lease struct {
	ttl    time.Duration
	every  time.Duration
	resume time.Duration // see renewLocked
	log    *slog.Logger
	ping   func(name, addr string) error
	agree  agreeFunc
	fence  func()
	base   time.Time
	until  atomic.Int64 // ns since base
	acks   chan struct{}
	// lapses counts expiries of a held lease; fences the lapses that ended
	// with Fence (the others resumed at once).
	lapses, fences atomic.Int64

	mu      sync.Mutex
	basis   map[string]*leaseMember
	lapsed  bool  // the lease expired since it was last held (guarded by mu)
	expired int64 // when it expired, ns since base (guarded by mu)
	wg      sync.WaitGroup
}

// newLease returns a lease of ttl for a node that peers can declare failed
// no earlier than detect after its last answer.
func newLease(ttl, detect time.Duration, ping func(name, addr string) error, agree agreeFunc, fence func()) *lease {
	l := &lease{ttl: ttl, every: ttl / pingsPerTTL, resume: (detect - ttl) / 2, ping: ping, agree: agree, fence: fence, base: time.Now(),
		acks: make(chan struct{}, 1), basis: map[string]*leaseMember{}}
	l.until.Store(noExpiry)
	return l
}

func (l *lease) now() int64 { return int64(time.Since(l.base)) }

// held reports whether the lease is valid now.
func (l *lease) held() bool { return l.now() < l.until.Load() }

// remaining is the time left on the lease (0 when not held).
func (l *lease) remaining() time.Duration {
	u := l.until.Load()
	if u == noExpiry {
		return time.Duration(noExpiry)
	}
	return time.Duration(max(0, u-l.now()))
}

// setBasis adopts the members gossip knows (self excluded): alive ones
// join the basis; failed ones leave it only while the lease is held; left
// ones leave it always.
func (l *lease) setBasis(self string, members []membership.Member) {
	l.mu.Lock()
	defer l.mu.Unlock()
	held, now := l.held(), l.now()
	for _, m := range members {
		if m.Name == self {
			continue
		}
		lm, in := l.basis[m.Name]
		switch {
		case m.Status == "alive" && !in:
			lm = &leaseMember{}
			if held { // it just gossiped with us: count that as an answer
				lm.acked = now
			}
			l.basis[m.Name] = lm
		case m.Status == "left" || m.Status == "leaving" || (m.Status != "alive" && held):
			delete(l.basis, m.Name)
			continue
		}
		if in || m.Status == "alive" {
			lm.gossip, lm.resp = m.Addr, m.Tags[TagRESP]
		}
	}
	for name := range l.basis {
		if !slices.ContainsFunc(members, func(m membership.Member) bool { return m.Name == name }) && held {
			delete(l.basis, name) // forgotten by gossip (reaped)
		}
	}
	l.renewLocked()
}

// candidate is when the lease would end given the acks so far.
func (l *lease) candidateLocked() int64 {
	need := (len(l.basis) + 1) / 2 // others needed for a majority with self
	if len(l.basis) == 0 {
		return noExpiry
	}
	acks := make([]int64, 0, len(l.basis))
	for _, m := range l.basis {
		acks = append(acks, m.acked)
	}
	slices.Sort(acks)
	a := acks[len(acks)-need]
	if a == 0 {
		return 0
	}
	return a + int64(l.ttl)
}

// renewLocked extends (or, after a basis change, recomputes) the lease
// when that needs no agreement; it records a lapse.
func (l *lease) renewLocked() {
	now, u := l.now(), l.until.Load()
	if u != noExpiry && now >= u && !l.lapsed {
		l.lapsed, l.expired = true, u
		l.lapses.Add(1)
		l.logLapseLocked(now)
	}
	c := l.candidateLocked()
	switch {
	case !l.lapsed || c == noExpiry:
		l.until.Store(c)
		l.lapsed = false
	case c > now && now < l.expired+int64(l.resume):
		// A majority answered so soon after the lease ran out (a
		// scheduling stall) that none of them can have declared this node
		// failed before answering: resume without fencing.
		l.until.Store(c)
		l.lapsed = false
	}
}

// logLapseLocked logs a lapse with how long ago each member last answered.
func (l *lease) logLapseLocked(now int64) {
	if l.log == nil {
		return
	}
	attrs := []any{"basis", len(l.basis) + 1, "lease", l.ttl}
	for name, m := range l.basis {
		attrs = append(attrs, name, time.Duration(now-m.acked).Round(time.Millisecond))
	}
	l.log.Warn("lease lapsed: no majority answered in time; refusing keyed commands", attrs...)
}

// run renews the lease until ctx ends, on every tick and every ack, while
// another goroutine pings the basis (also while regain waits for the
// peers' agreement).
func (l *lease) run(ctx context.Context) {
	defer l.wg.Wait()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		every(ctx, l.every, nil, l.pingAll)
	}()
	every(ctx, l.every, l.acks, func() {
		if l.renew() {
			l.regain(ctx)
		}
	})
}

// every calls fn every d and on every receive from wake (nil: none) until
// ctx ends.
func every(ctx context.Context, d time.Duration, wake <-chan struct{}, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		fn()
	}
}

// renew renews the lease if it can; it reports whether a lapse must be
// resolved (a majority answered after the lease expired).
func (l *lease) renew() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.renewLocked()
	return l.lapsed && l.candidateLocked() > l.now()
}

// regain ends a lapse once a majority agrees with this node's ring. Unless
// every agreeing peer has kept its ring since before the lease ran out (so
// none of them can have taken this node's slots meanwhile), the node drops
// its data first.
func (l *lease) regain(ctx context.Context) {
	l.mu.Lock()
	var peers []string
	for _, m := range l.basis {
		peers = append(peers, m.resp)
	}
	need, expired := (len(l.basis)+1)/2, l.expired
	l.mu.Unlock()
	n, stable := len(peers), time.Duration(0)
	if l.agree != nil {
		n, stable = l.agree(ctx, peers)
	}
	if n < need {
		return
	}
	if stable <= time.Duration(l.now()-expired) {
		if l.fence != nil {
			l.fence()
		}
		l.fences.Add(1)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.candidateLocked(); c > l.now() {
		l.until.Store(c)
		l.lapsed = false
	}
}

// pingAll pings every basis member that has no ping in flight.
func (l *lease) pingAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, m := range l.basis {
		if m.inflight >= maxInflight {
			continue
		}
		m.inflight++
		l.wg.Add(1)
		go l.pingOne(name, m.gossip, m)
	}
}

func (l *lease) pingOne(name, addr string, m *leaseMember) {
	defer l.wg.Done()
	sent := l.now()
	err := l.ping(name, addr)
	l.mu.Lock()
	m.inflight--
	if err == nil && sent > m.acked {
		m.acked = sent
	}
	l.mu.Unlock()
	if err == nil {
		select {
		case l.acks <- struct{}{}:
		default:
		}
	}
}
