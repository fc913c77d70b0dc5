// Package cluster joins membership and placement: it runs a node's gossip
// (internal/membership), turns every coalesced member list into an immutable
// ring.Ring, and publishes it with an atomic pointer swap, so request paths
// read the current ring without locks. Peers whose ring configuration
// digest differs from ours are refused at the gossip layer, so every
// admitted node computes the same placement from the same members. The
// owner is told of every ring change (old and new ring) from a single
// goroutine, in order.
package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

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
}

// Cluster is a node's live view of the ring.
type Cluster struct {
	cfg    Config
	log    *slog.Logger
	m      *membership.Membership
	ring   atomic.Pointer[ring.Ring]
	onRing func(old, new *ring.Ring)
	digest string
	builds atomic.Int64
}

// New starts gossip and publishes a first ring holding only this node.
// onRing (may be nil) is called after every change of ring, never
// concurrently.
func New(cfg Config, onRing func(old, new *ring.Ring)) (*Cluster, error) {
	if err := cfg.Ring.Validate(); err != nil {
		return nil, err
	}
	if cfg.RESPAddr == "" {
		return nil, errors.New("cluster: RESPAddr is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Cluster{cfg: cfg, log: cfg.Logger, onRing: onRing,
		digest: strconv.FormatUint(cfg.Ring.Digest(), 16)}
	self, err := ring.Build(cfg.Ring, []ring.Member{c.selfMember()})
	if err != nil {
		return nil, err
	}
	c.ring.Store(self)
	mc := cfg.Membership
	mc.Tags = map[string]string{TagRESP: cfg.RESPAddr, TagZone: cfg.Zone, TagVersion: cfg.Version, TagRing: c.digest}
	mc.Admit = c.admit
	mc.Logger = cfg.Logger
	c.m, err = membership.New(mc, c.rebuild)
	if err != nil {
		return nil, err
	}
	return c, nil
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
	rms := make([]ring.Member, 0, len(members))
	for _, m := range members {
		rms = append(rms, ring.Member{Name: m.Name, Addr: m.Tags[TagRESP], Zone: m.Tags[TagZone],
			Meta: map[string]string{TagVersion: m.Tags[TagVersion]}})
	}
	next, err := ring.Build(c.cfg.Ring, rms)
	if err != nil {
		c.log.Error("cannot build ring; keeping the current one", "members", len(rms), "err", err)
		return
	}
	old := c.ring.Load()
	if old.Epoch() == next.Epoch() {
		return
	}
	c.ring.Store(next)
	c.builds.Add(1)
	c.log.Info("ring changed", "members", next.Len(), "epoch", strconv.FormatUint(next.Epoch(), 16),
		"moved_slots", ring.MovedSlots(ring.Diff(old, next)))
	if c.onRing != nil {
		c.onRing(old, next)
	}
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
func (c *Cluster) SetPaused(p bool) { c.m.SetPaused(p) }

// Leave announces a graceful departure, waits for it to spread and stops.
func (c *Cluster) Leave() error { return c.m.Leave() }

// Shutdown stops gossip without a departure message. Safe to call twice.
func (c *Cluster) Shutdown() error { return c.m.Shutdown() }

// Membership returns the node's gossip membership (its keyring, for
// gossip key rotation and peer authentication).
func (c *Cluster) Membership() *membership.Membership { return c.m }
