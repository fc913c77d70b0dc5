package cluster

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/membership"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/ring"
)

// TestRingVisibleOnlyAfterApply: the cluster is the ring's only publisher,
// and a ring is readable through Ring only once the owner's onRing (which
// drops moved slots) has returned, and before its published callback.
// The old code stored the ring first and told the owner afterwards.
func TestRingVisibleOnlyAfterApply(t *testing.T) {
	rc := ring.DefaultConfig()
	a, recA := startNode(t, "7001", rc)
	b, recB := startNode(t, "7002", rc, a.GossipAddr())
	c, _ := startNode(t, "7003", rc, a.GossipAddr())
	waitAgree(t, 3, a, b, c)
	for _, r := range []*recorder{recA, recB} {
		r.mu.Lock()
		if r.calls == 0 || r.early != 0 || r.after != r.calls {
			t.Errorf("%d ring changes, %d readable before onRing returned, %d published callbacks saw the new ring",
				r.calls, r.early, r.after)
		}
		r.mu.Unlock()
	}
}

func TestLeaseBounds(t *testing.T) {
	for _, local := range []bool{false, true} {
		mc := membership.DefaultConfig()
		mc.Local = local
		d := mc.Detection()
		l, err := LeaseFor(mc, 0)
		if err != nil || l <= 0 || l >= d.Min() {
			t.Fatalf("local=%v: lease %v (err %v) for earliest detection %v", local, l, err, d.Min())
		}
		t.Logf("local=%v: probe %v timeout %v suspicion x%d: earliest detection %v, lease %v",
			local, d.ProbeInterval, d.ProbeTimeout, d.SuspicionMult, d.Min(), l)
		if _, err := LeaseFor(mc, d.Min()); err == nil {
			t.Errorf("local=%v: accepted a lease as long as detection", local)
		}
	}
}

func TestSingleNodeAlwaysLeased(t *testing.T) {
	a, _ := startNode(t, "7001", ring.DefaultConfig())
	if !a.Leased() || a.lease.remaining() != time.Duration(noExpiry) {
		t.Fatal("a node that never knew a peer holds no lease")
	}
}

// TestCutNodeLosesLeaseAndFencesOnReturn cuts one node's gossip: it loses
// its lease within the lease's length; after the cut heals it regains the
// lease only after calling Fence.
func TestCutNodeLosesLeaseAndFencesOnReturn(t *testing.T) {
	rc := ring.DefaultConfig()
	p := &membership.Partition{}
	a, _ := startNode(t, "7001", rc)
	b, _ := startNode(t, "7002", rc, a.GossipAddr())
	c, recC := startWith(t, "7003", rc, p, a.GossipAddr())
	waitAgree(t, 3, a, b, c)
	poll.Until(t, 5*time.Second, "every node to hold its lease", func() bool {
		return a.Leased() && b.Leased() && c.Leased()
	})
	p.Cut(true)
	cut := time.Now()
	poll.Until(t, 5*time.Second, "the cut node to lose its lease", func() bool { return !c.Leased() })
	lost := time.Since(cut)
	t.Logf("cut node lost its lease %v after the cut (lease %v)", lost, c.LeaseTTL())
	if lost > c.LeaseTTL()+500*time.Millisecond { // 500ms: this poll loop's own scheduling under load
		t.Errorf("lease lost after %v, longer than the lease %v", lost, c.LeaseTTL())
	}
	waitAgree(t, 2, a, b)
	p.Cut(false)
	waitAgree(t, 3, a, b, c)
	poll.Until(t, 5*time.Second, "the healed node to regain its lease", c.Leased)
	recC.mu.Lock()
	defer recC.mu.Unlock()
	if recC.fences < 1 {
		t.Errorf("healed node regained its lease without fencing")
	}
}

// TestLapseFencesUnlessPeersKeptTheirRing drives a lease with a fake ping:
// after a lapse longer than the resume window, the node fences unless
// every agreeing peer reports it kept its ring since before the lapse (a
// stall of the whole process, nobody moved anything); and while lapsed it
// holds no lease.
func TestLapseFencesUnlessPeersKeptTheirRing(t *testing.T) {
	for _, tc := range []struct {
		stable time.Duration
		fences int64
	}{{time.Hour, 0}, {0, 1}} {
		var up atomic.Bool
		up.Store(true)
		ping := func(string, string) error {
			if up.Load() {
				return nil
			}
			return errors.New("no ack")
		}
		agree := func(context.Context, []string) (int, time.Duration) { return 2, tc.stable }
		l := newLease(60*time.Millisecond, 100*time.Millisecond, ping, agree, nil)
		l.setBasis("a", []membership.Member{{Name: "b", Status: "alive"}, {Name: "c", Status: "alive"}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); l.run(ctx) }()
		poll.Until(t, 5*time.Second, "the lease", l.held)
		up.Store(false)
		poll.Until(t, 5*time.Second, "a lapse", func() bool { return !l.held() })
		lapsed := time.Now()
		poll.Until(t, 5*time.Second, "the resume window to pass", func() bool { return time.Since(lapsed) > 50*time.Millisecond })
		up.Store(true)
		poll.Until(t, 5*time.Second, "the lease again", l.held)
		cancel()
		<-done
		if got := l.fences.Load(); got != tc.fences || l.lapses.Load() != 1 {
			t.Errorf("peers stable for %v: %d lapses, %d fences, want 1 and %d", tc.stable, l.lapses.Load(), got, tc.fences)
		}
	}
}
