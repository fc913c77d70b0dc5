// Package cluster joins membership and placement: it runs a node's gossip
// (internal/membership), turns every coalesced member list into an immutable
// ring.Ring, and publishes it with an atomic pointer swap, so request paths
// read the current ring without locks. It is the only publisher of the
// ring: the owner's apply callback (drop the data of slots that moved) runs
// first, from a single goroutine, in order, and only then is the new ring
// visible through Ring, so nothing routes with a ring whose moved slots
// still hold old data. Peers whose ring configuration digest differs from
// ours are refused at the gossip layer, so every admitted node computes the
// same placement from the same members. The node serves keys only while it
// holds a lease (lease.go): a majority of the members it knew answered its
// gossip pings recently enough that none of them can have declared it
// failed yet.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/membership"
	"github.com/ringcache/ringcache/ring"
)

// Tag names published through gossip.
const (
	TagRESP    = "resp"    // RESP address clients and peers connect to
	TagZone    = "zone"    // failure domain
	TagVersion = "version" // ringcache version
	TagRing    = "ring"    // ring config digest (hex)
)

// Config configures a node's cluster view.
type Config struct {
	// Membership configures gossip; its NodeName names the node and its
	// Tags are filled in from the fields below.
	Membership membership.Config
	// Ring is the placement configuration; it must be the same on every node.
	Ring ring.Config
	// RESPAddr is the advertised address of this node's RESP listener.
	RESPAddr string
	// Zone is this node's failure domain (optional).
	Zone string
	// Version is published for operators (optional).
	Version string
	// Logger receives cluster logs. Nil: slog.Default().
	Logger *slog.Logger
	// Lease is how long a majority's answer to this node's gossip pings
	// lets it serve. It must be shorter than Membership.Detection().Min(),
	// the earliest peers can declare the node failed. 0 (the default):
	// three quarters of that, the rest being the margin for clock drift and
	// scheduling.
	Lease time.Duration
	// Agree, after a lapse of the lease, asks the peers at the given RESP
	// addresses whether they route with the ring of this epoch and see
	// self alive; it returns how many do, and for how long all of those
	// have kept that ring (0: unknown). Nil: no check.
	Agree func(ctx context.Context, self string, epoch uint64, peers []string) (int, time.Duration)
	// Fence, after a lapse, drops every key before the node serves again.
	Fence func()
}

// LeaseFor returns the lease a membership profile allows (0 = derived) and
// checks that a given one is shorter than the earliest failure detection.
func LeaseFor(mc membership.Config, lease time.Duration) (time.Duration, error) {
	d := mc.Detection()
	if lease == 0 {
		lease = d.Min() * 3 / 4
	}
	if lease <= 2*d.ProbeTimeout || lease >= d.Min() {
		return 0, fmt.Errorf("cluster: lease %v must be longer than two probe timeouts (%v) and shorter than the earliest failure detection (%v)",
			lease, 2*d.ProbeTimeout, d.Min())
	}
	return lease, nil
}

// Cluster is a node's live view of the ring.
type Cluster struct {
	cfg       Config
	log       *slog.Logger
	m         *membership.Membership
	ring      atomic.Pointer[ring.Ring]
	onRing    func(old, new *ring.Ring) func()
	digest    string
	builds    atomic.Int64
	ml        atomic.Pointer[membership.Membership] // set once New has it
	born      time.Time                             // monotonic base for published
	published atomic.Int64
	lease     *lease
	drain     atomic.Bool // Depart published a ring without this node
	paused    atomic.Bool // SetPaused holds rebuilds back
	excl      exclusions  // members proven dead (exclude.go)
	// placements remembers the placements of recent member sets: rings and
	// their replica tables are built again for them on flaps and restarts.
	placements *ring.Placements
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	stop       sync.Once
}

// New starts gossip and publishes a first ring holding only this node.
// onRing (may be nil) is called on every change of ring, never
// concurrently, before Ring returns the new ring; the function it returns
// (may be nil) is called once Ring returns it.
func New(cfg Config, onRing func(old, new *ring.Ring) func()) (*Cluster, error) {
	if err := cfg.Ring.Validate(); err != nil {
		return nil, err
	}
	ttl, err := LeaseFor(cfg.Membership, cfg.Lease)
	if err != nil {
		return nil, err
	}
	if cfg.RESPAddr == "" {
		return nil, errors.New("cluster: RESPAddr is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Cluster{cfg: cfg, log: cfg.Logger, onRing: onRing,
		digest: strconv.FormatUint(cfg.Ring.Digest(), 16), placements: ring.NewPlacements()}
	self, err := ring.BuildWith(cfg.Ring, []ring.Member{c.selfMember()}, c.placements)
	if err != nil {
		return nil, err
	}
	c.ring.Store(self)
	c.born = time.Now()
	c.lease = newLease(ttl, cfg.Membership.Detection().Min(), c.ping, c.agree, cfg.Fence)
	c.lease.log = c.log
	mc := cfg.Membership
	mc.Tags = map[string]string{TagRESP: cfg.RESPAddr, TagZone: cfg.Zone, TagVersion: cfg.Version, TagRing: c.digest}
	mc.Admit = c.admit
	mc.Logger = cfg.Logger
	c.m, err = membership.New(mc, c.rebuild)
	if err != nil {
		return nil, err
	}
	c.ml.Store(c.m)
	c.lease.setBasis(c.Self(), c.m.AllMembers())
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.lease.run(c.ctx) }()
	return c, nil
}

func (c *Cluster) ping(name, addr string) error { return c.m.Ping(name, addr) }

func (c *Cluster) agree(ctx context.Context, peers []string) (int, time.Duration) {
	if c.cfg.Agree == nil {
		return len(peers), 0
	}
	return c.cfg.Agree(ctx, c.Self(), c.Ring().Epoch(), peers)
}

func (c *Cluster) selfMember() ring.Member {
	return ring.Member{Name: c.cfg.Membership.NodeName, Addr: c.cfg.RESPAddr, Zone: c.cfg.Zone,
		Meta: map[string]string{TagVersion: c.cfg.Version}}
}

func (c *Cluster) admit(m membership.Member) error {
	if got := m.Tags[TagRing]; got != c.digest {
		return fmt.Errorf("ring config digest %q differs from ours %q (partitions, virtual nodes and load must match)", got, c.digest)
	}
	if m.Tags[TagRESP] == "" {
		return errors.New("member advertises no RESP address")
	}
	return nil
}

// rebuild turns a member list into a ring and publishes it if it changed.
func (c *Cluster) rebuild(members []membership.Member) {
	c.excl.build.Lock()
	defer c.excl.build.Unlock()
	if c.drain.Load() {
		return // Depart published the ring this node drains with
	}
	members = c.excl.filter(members)
	rms := make([]ring.Member, 0, len(members))
	for _, m := range members {
		rms = append(rms, ring.Member{Name: m.Name, Addr: m.Tags[TagRESP], Zone: m.Tags[TagZone],
			Meta: map[string]string{TagVersion: m.Tags[TagVersion]}})
	}
	next, err := ring.BuildWith(c.cfg.Ring, rms, c.placements)
	if err != nil {
		c.log.Error("cannot build ring; keeping the current one", "members", len(rms), "err", err)
		return
	}
	if m := c.ml.Load(); m != nil {
		c.lease.setBasis(c.Self(), m.AllMembers())
	}
	c.publish(next)
}

// publish applies next (the owner drops moved slots) and then makes it the
// ring Ring returns: drop, then route.
func (c *Cluster) publish(next *ring.Ring) {
	old := c.ring.Load()
	if old.Epoch() == next.Epoch() {
		return
	}
	c.log.Info("ring changed", "members", next.Len(), "epoch", strconv.FormatUint(next.Epoch(), 16),
		"moved_slots", ring.MovedSlots(ring.Diff(old, next)))
	var published func()
	if c.onRing != nil {
		published = c.onRing(old, next)
	}
	c.ring.Store(next)
	c.published.Store(int64(time.Since(c.born)))
	c.builds.Add(1)
	if published != nil {
		published()
	}
}

// RingAge is how long ago the current ring was published.
func (c *Cluster) RingAge() time.Duration {
	return time.Since(c.born) - time.Duration(c.published.Load())
}

// Ring returns the current ring. It never returns nil.
func (c *Cluster) Ring() *ring.Ring { return c.ring.Load() }

// Self returns this node's name.
func (c *Cluster) Self() string { return c.cfg.Membership.NodeName }

// RingChanges counts the rings published since start (the first one
// excluded).
func (c *Cluster) RingChanges() int64 { return c.builds.Load() }

// Joined reports whether gossip has contacted a seed (or needs none).
func (c *Cluster) Joined() bool { return c.m.Joined() }

// Members returns every member gossip knows with its status.
func (c *Cluster) Members() []membership.Member { return c.m.AllMembers() }

// GossipAddr returns the address peers gossip with this node at.
func (c *Cluster) GossipAddr() string { return c.m.LocalAddr() }

// SetPaused holds back (or releases) ring rebuilds; tests use it to make
// views disagree.
func (c *Cluster) SetPaused(p bool) {
	c.paused.Store(p)
	c.m.SetPaused(p)
}

// Leased reports whether the node may serve keys now: it holds its lease
// (always, in a cluster of one that never knew a peer), or it is draining
// after Depart and owns no slot anyway.
func (c *Cluster) Leased() bool { return c.lease.held() || c.drain.Load() }

// Draining reports whether Depart published the ring without this node.
func (c *Cluster) Draining() bool { return c.drain.Load() }

// LeaseLapses counts the times the lease ran out, and how many of those
// ended with a fence (every key dropped) rather than an immediate resume.
func (c *Cluster) LeaseLapses() (lapses, fences int64) {
	return c.lease.lapses.Load(), c.lease.fences.Load()
}

// LeaseTTL is the lease's length.
func (c *Cluster) LeaseTTL() time.Duration { return c.lease.ttl }

// Leave announces a graceful departure, waits for it to spread and stops
// gossip (and the lease with it).
func (c *Cluster) Leave() error {
	c.stopLease()
	return c.m.Leave()
}

// Successor returns the ring of the current members but this node: the
// ring peers build once they have applied its leave.
func (c *Cluster) Successor() (*ring.Ring, error) {
	var rest []ring.Member
	for _, m := range c.ring.Load().Members() {
		if m.Name != c.Self() {
			rest = append(rest, m)
		}
	}
	if len(rest) == 0 {
		return nil, errors.New("cluster: no member left to hand the slots to")
	}
	return ring.BuildWith(c.cfg.Ring, rest, c.placements)
}

// Depart publishes, after Leave, next (its Successor ring), so the node
// redirects every key to its new owner while it drains.
func (c *Cluster) Depart(next *ring.Ring) {
	c.excl.build.Lock()
	defer c.excl.build.Unlock()
	c.drain.Store(true)
	c.publish(next)
}

// Shutdown stops gossip without a departure message. Safe to call twice.
func (c *Cluster) Shutdown() error {
	c.stopLease()
	return c.m.Shutdown()
}

func (c *Cluster) stopLease() {
	c.stop.Do(func() {
		c.cancel()
		c.wg.Wait()
	})
}

// Membership returns the node's gossip membership (its keyring, for
// gossip key rotation and peer authentication).
func (c *Cluster) Membership() *membership.Membership { return c.m }
