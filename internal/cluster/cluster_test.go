package cluster

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/membership"
	"github.com/ringcache/ringcache/ring"
)

// memberlist's Shutdown does not wait for a probe in flight: probeNode
// ends by itself once its probe timeout passes (a clean-clone run under
// load caught one still waiting when the tests ended).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/hashicorp/memberlist.(*Memberlist).probeNode"))
}

type recorder struct {
	mu     sync.Mutex
	moves  int
	calls  int
	early  int // rings readable through Ring before onRing returned
	after  int // published callbacks that saw the new ring
	fences int
	c      atomic.Pointer[Cluster]
}

func (r *recorder) onRing(old, new *ring.Ring) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.moves += ring.MovedSlots(ring.Diff(old, new))
	if c := r.c.Load(); c != nil && c.Ring() != old {
		r.early++
	}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if c := r.c.Load(); c == nil || c.Ring() == new {
			r.after++
		}
	}
}

func (r *recorder) fence() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fences++
}

func startNode(t *testing.T, name string, rc ring.Config, join ...string) (*Cluster, *recorder) {
	t.Helper()
	return startWith(t, name, rc, nil, join...)
}

func startWith(t *testing.T, name string, rc ring.Config, p *membership.Partition, join ...string) (*Cluster, *recorder) {
	t.Helper()
	mc := membership.DefaultLocalConfig()
	mc.NodeName, mc.Join, mc.Partition = name, join, p
	rec := &recorder{}
	c, err := New(Config{Membership: mc, Ring: rc, RESPAddr: "127.0.0.1:" + name,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Fence: rec.fence}, rec.onRing)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	rec.c.Store(c)
	t.Cleanup(func() { _ = c.Shutdown() })
	return c, rec
}

func waitAgree(t *testing.T, n int, cs ...*Cluster) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		agree := true
		for _, c := range cs {
			agree = agree && c.Ring().Len() == n && c.Ring().Epoch() == cs[0].Ring().Epoch()
		}
		if agree {
			return
		}
		if time.Now().After(deadline) {
			for _, c := range cs {
				t.Logf("%s: %d members, epoch %x", c.Self(), c.Ring().Len(), c.Ring().Epoch())
			}
			t.Fatalf("nodes did not agree on a %d-member ring", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNodesAgreeOnOneRing(t *testing.T) {
	rc := ring.DefaultConfig()
	a, recA := startNode(t, "7001", rc)
	if a.Ring().Len() != 1 || !a.Ring().Owns("7001", 0) {
		t.Fatal("a lone node does not own every slot")
	}
	b, _ := startNode(t, "7002", rc, a.GossipAddr())
	c, _ := startNode(t, "7003", rc, a.GossipAddr())
	waitAgree(t, 3, a, b, c)
	for _, sh := range a.Ring().Shards() {
		if sh.Member.Addr != "127.0.0.1:"+sh.Member.Name {
			t.Errorf("member %s has RESP address %s", sh.Member.Name, sh.Member.Addr)
		}
	}
	recA.mu.Lock()
	defer recA.mu.Unlock()
	if recA.calls == 0 || recA.moves == 0 {
		t.Fatalf("onRing not told of changes: %+v", recA)
	}
}

func TestDifferentRingConfigNeverEntersTheRing(t *testing.T) {
	rc := ring.DefaultConfig()
	a, _ := startNode(t, "7001", rc)
	b, _ := startNode(t, "7002", rc, a.GossipAddr())
	waitAgree(t, 2, a, b)
	odd := rc
	odd.VirtualNodes = 32
	o, _ := startNode(t, "7009", odd, a.GossipAddr())
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if a.Ring().Len() != 2 || b.Ring().Len() != 2 || o.Ring().Len() != 1 {
			t.Fatalf("ring sizes a=%d b=%d odd=%d", a.Ring().Len(), b.Ring().Len(), o.Ring().Len())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBadConfig(t *testing.T) {
	mc := membership.DefaultLocalConfig()
	mc.NodeName = "x"
	if _, err := New(Config{Membership: mc, Ring: ring.Config{}, RESPAddr: "a"}, nil); err == nil {
		t.Error("accepted an invalid ring config")
	}
	if _, err := New(Config{Membership: mc, Ring: ring.DefaultConfig()}, nil); err == nil {
		t.Error("accepted an empty RESP address")
	}
}
