package cacheserver

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/cluster"
	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/internal/membership"
	"github.com/ringcache/ringcache/internal/route"
	"github.com/ringcache/ringcache/ring"
)

// ClusterConfig makes a Server a member of a ringcache cluster. Start from
// DefaultClusterConfig.
type ClusterConfig struct {
	// NodeName names the node; it must be unique in the cluster and stable
	// across restarts (a restarted node rejoins under it). Default: the
	// host name and the RESP port, "host-7379".
	NodeName string
	// GossipAddr is where gossip (serf, TCP and UDP) listens. Port 0 picks
	// a free port (tests). Default "127.0.0.1:7946".
	GossipAddr string
	// Advertise is the host peers and clients use to reach this node (RESP
	// and gossip). Default: the listen addresses, which must then not be
	// unspecified (0.0.0.0).
	Advertise string
	// Join lists gossip addresses of existing members; the node retries
	// with backoff until one answers. Until then it answers CLUSTERDOWN to
	// commands with keys. Empty: the node starts a cluster of its own.
	Join []string
	// Zone is the node's failure domain, published to peers.
	Zone string
	// Redirect is "forward" (default: proxy commands for slots owned by
	// another node) or "moved" (answer -MOVED like Redis Cluster).
	Redirect string
	// Ring is the placement; it must be equal on every node, and a peer
	// whose ring config differs is refused.
	Ring ring.Config
	// FastGossip selects test timers (failure detection in well under a
	// second); the default is serf's LAN profile.
	FastGossip bool
	// ForwardConns is the number of pipelined connections to each peer.
	// Default 2.
	ForwardConns int
	// ForwardTimeout bounds a forwarded command. Default 2s.
	ForwardTimeout time.Duration
	// GossipKeys, when not empty, encrypt gossip (base64-decoded, 16, 24
	// or 32 bytes each; the first is the primary). KeyringFile, when set,
	// holds the keyring and wins over GossipKeys once it exists; serf
	// rewrites it after each CLUSTER KEYRING change. See docs/security.md.
	GossipKeys  [][]byte
	KeyringFile string
	// ClusterSecret, when set, is what peer connections prove knowledge of
	// (challenge and response, never sent). Empty: derived from the gossip
	// keys, else from requirepass (peerauth.go).
	ClusterSecret []byte
	// LeaveDrain bounds each of the two phases of a graceful leave: after
	// announcing it, the node keeps serving until every peer routes without
	// it (at most LeaveDrain), then answers -MOVED (or forwards) to the new
	// owners for LeaveDrain more before its listener closes. Default 1s
	// (serf coalesces member events for 500ms); FastGossip tests use 200ms.
	LeaveDrain time.Duration
	// Lease is how long a majority's answer to this node's gossip pings
	// lets it serve keys; without a lease it answers CLUSTERDOWN. It must
	// be shorter than the earliest failure detection of the gossip profile
	// (LAN 4.5s, FastGossip 750ms). 0 (default): three quarters of it.
	Lease time.Duration
	// HandoffRate is the bytes/s budget of copying slots from their
	// previous owner after a ring change (handoff.go). Default 64 MiB/s;
	// 0 turns hand-off off (moved slots start empty). HandoffKeep is how
	// long a node keeps a slot it lost for its new owner to pull (default
	// 60s); HandoffReadThrough bounds a miss's read-through to the
	// previous owner (default 250ms); HandoffWarm is how long at most a
	// joining node reports not ready while it copies (default 30s);
	// HandoffDrain caps the hand-off phase of a graceful leave (default
	// 20s).
	HandoffRate        int64
	HandoffKeep        time.Duration
	HandoffReadThrough time.Duration
	HandoffWarm        time.Duration
	HandoffDrain       time.Duration
	// Partition, when set, lets a test cut this node's gossip in both
	// directions while its RESP port stays reachable. Nil in production.
	Partition *membership.Partition
}

// DefaultClusterConfig returns the documented defaults.
func DefaultClusterConfig() ClusterConfig {
	return ClusterConfig{GossipAddr: "127.0.0.1:7946", Redirect: "forward", Ring: ring.DefaultConfig(),
		ForwardConns: 2, ForwardTimeout: 2 * time.Second, LeaveDrain: time.Second,
		HandoffRate: 64 << 20, HandoffKeep: time.Minute, HandoffReadThrough: 250 * time.Millisecond,
		HandoffWarm: 30 * time.Second, HandoffDrain: 20 * time.Second}
}

func (cc ClusterConfig) validate() error {
	if _, err := route.ParseMode(cc.Redirect); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(cc.GossipAddr); err != nil {
		return fmt.Errorf("cacheserver: GossipAddr: %w", err)
	}
	if cc.ForwardConns < 1 || cc.ForwardTimeout <= 0 || cc.LeaveDrain < 0 {
		return errors.New("cacheserver: ForwardConns and ForwardTimeout must be positive, LeaveDrain >= 0")
	}
	if cc.HandoffRate < 0 || cc.HandoffRate > 0 && (cc.HandoffKeep <= 0 || cc.HandoffReadThrough <= 0 ||
		cc.HandoffWarm < 0 || cc.HandoffDrain < 0) {
		return errors.New("cacheserver: HandoffRate must be >= 0; with hand-off on, HandoffKeep and HandoffReadThrough positive, HandoffWarm and HandoffDrain >= 0")
	}
	if _, _, err := cc.FencingTimes(); err != nil {
		return err
	}
	return cc.Ring.Validate()
}

// FencingTimes returns the lease the node will hold and the earliest time
// its peers can declare it failed (its gossip profile's detection), or an
// error when Lease is not shorter than that.
func (cc ClusterConfig) FencingTimes() (lease, detection time.Duration, err error) {
	mc := cc.membershipConfig()
	lease, err = cluster.LeaseFor(mc, cc.Lease)
	return lease, mc.Detection().Min(), err
}

// membershipConfig is the gossip profile's defaults.
func (cc ClusterConfig) membershipConfig() membership.Config {
	if cc.FastGossip {
		return membership.DefaultLocalConfig()
	}
	return membership.DefaultConfig()
}

// clusterState is a clustered server's view: the gossip-driven cluster,
// the ring routing uses, and the pools that forward to peers.
type clusterState struct {
	cl   *cluster.Cluster
	self string
	mode route.Mode
	join bool // Join was configured: CLUSTERDOWN until joined
	// peers holds the forwarding pools by protocol ([2] RESP2, [3] RESP3)
	// and, at [0], the control pool: lease renewals, failure probes and
	// exclusions have short deadlines of their own and must never share a
	// connection with a client's pipeline, where a control call's deadline
	// passing behind hundreds of forwarded replies would fail them all.
	peers [4]*forward.Pool
	ids   atomic.Pointer[ringView] // node ids of the cluster's current ring, derived on demand
	gate  ringGate                 // generations of the ring, for hand-off's in-flight fence (inflight.go)
	// settle is how long after a ring change a slot that changed owner is
	// answered TRYAGAIN instead of -MOVED: peers apply a change up to a
	// coalescing period apart, and two nodes whose rings disagree would
	// send a client back and forth faster than it backs off.
	settle time.Duration
	recent atomic.Pointer[recentMoves]
	ctx    context.Context // ends when the cluster stops
	cancel context.CancelFunc
	wg     sync.WaitGroup // confirmRing goroutines
	ho     *handoff       // hand-off of moved slots (handoff.go)
	// peered is set once a ring with another member was published: a node
	// asked to join serves no key with the one-member ring it starts with
	// (gossip may reach the seed before the member list arrives; it would
	// take writes for every slot, which its first real ring drops).
	peered atomic.Bool
	// repl streams owned slots to their replicas and replica holds the
	// copies of others' slots (repl.go, replica.go); repl is nil without
	// replicas (ring.Config.Replicas 0).
	repl    *replicator
	replica *replicaState
	fw      *failoverWatch // fast failover (failover.go); nil without replicas
}

// recentMoves are the slots whose owner changed in the latest ring change.
type recentMoves struct {
	at    time.Time
	slots []bool
}

// settling reports whether slot changed owner less than settle ago in a
// ring change not every member is known to have applied yet (never while
// draining: the peers have applied the leave by then).
func (st *clusterState) settling(slot int) bool {
	rm := st.recent.Load()
	return rm != nil && rm.slots[slot] && time.Since(rm.at) < st.settle && !st.cl.Draining()
}

// settled reports whether no ring change is settling.
func (st *clusterState) settled() bool {
	rm := st.recent.Load()
	return rm == nil || time.Since(rm.at) >= st.settle
}

// confirmRing ends the settling of rm early once every member of next
// routes with it.
func (st *clusterState) confirmRing(rm *recentMoves, next *ring.Ring) {
	defer st.wg.Done()
	if st.awaitPeers(st.ctx, next, st.settle) {
		st.recent.CompareAndSwap(rm, nil)
	}
}

// ringView is a ring with the Redis node id of each member. Routing reads
// the ring from the cluster, its only publisher; CLUSTER commands read the
// ring with its ids through view.
type ringView struct {
	r   *ring.Ring
	ids map[string]string
}

// joined reports whether the node joined the cluster or was not asked to
// join one.
func (st *clusterState) joined() bool { return !st.join || st.cl.Joined() && st.peered.Load() }

// ready reports whether the node may serve keys: it joined and it holds
// its lease.
func (st *clusterState) ready() bool { return st.joined() && st.cl.Leased() }

// view returns the cluster's current ring with its members' node ids.
func (st *clusterState) view() *ringView {
	r := st.cl.Ring()
	if v := st.ids.Load(); v != nil && v.r == r {
		return v
	}
	ids := make(map[string]string, r.Len())
	for _, m := range r.Members() {
		ids[m.Name] = nodeID(m.Name)
	}
	v := &ringView{r: r, ids: ids}
	st.ids.Store(v)
	return v
}

// startCluster joins the cluster once the RESP listener's address is known.
func (s *Server) startCluster(ln net.Listener) error {
	cc := *s.cfg.Cluster
	host, port, err := s.advertised(ln.Addr(), cc.Advertise)
	if err != nil {
		return err
	}
	if cc.NodeName == "" {
		h, _ := os.Hostname()
		cc.NodeName = h + "-" + port
	}
	mc := cc.membershipConfig()
	gh, gp, _ := net.SplitHostPort(cc.GossipAddr)
	mc.NodeName, mc.BindAddr, mc.Join, mc.Partition = cc.NodeName, gh, cc.Join, cc.Partition
	if mc.BindPort, err = strconv.Atoi(gp); err != nil {
		return fmt.Errorf("cacheserver: gossip port: %w", err)
	}
	if cc.Advertise != "" || gh == "0.0.0.0" || gh == "::" {
		mc.AdvertiseAddr = host
	}
	mc.Keys, mc.KeyringFile = cc.GossipKeys, cc.KeyringFile
	mode, _ := route.ParseMode(cc.Redirect)
	st := &clusterState{self: cc.NodeName, mode: mode, join: len(cc.Join) > 0, settle: 2 * mc.CoalescePeriod}
	st.ctx, st.cancel = context.WithCancel(context.Background())
	st.gate.gen.Store(1)
	if err := s.newPeerPools(st, cc); err != nil {
		return err
	}
	if err := s.startHandoff(st, cc); err != nil { // handoff_cmd.go
		st.closePools()
		return err
	}
	if st.repl, err = s.newReplicator(st, cc); err != nil {
		st.closePools()
		return err
	}
	st.replica = newReplicaState(mc.Detection().Min() / 2)
	// The cluster's membership loop may apply a first ring before New
	// returns; onRing uses st.cl, so it waits until st.cl is set.
	clSet := make(chan struct{})
	cl, err := cluster.New(cluster.Config{Membership: mc, Ring: cc.Ring, RESPAddr: net.JoinHostPort(host, port),
		Zone: cc.Zone, Version: Version, Logger: s.log, Lease: cc.Lease, Agree: st.agree, Fence: s.fence},
		func(old, next *ring.Ring) func() { <-clSet; return s.onRing(st, old, next) })
	st.cl = cl
	close(clSet)
	if err != nil {
		st.cancel()
		st.wg.Wait()
		st.repl.close()
		st.closePools()
		return err
	}
	s.cs.Store(st)
	s.relay.rp.Store(st.repl)
	st.startFailover() // failover.go
	s.log.Info("cluster member started", "node", cc.NodeName, "gossip", cl.GossipAddr(),
		"resp", net.JoinHostPort(host, port), "redirect", cc.Redirect, "join", cc.Join, "lease", cl.LeaseTTL())
	return nil
}

// advertised returns the host and port peers use for RESP.
func (s *Server) advertised(addr net.Addr, adv string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr.String())
	if err != nil {
		return "", "", err
	}
	if adv != "" {
		return adv, port, nil
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return "", "", fmt.Errorf("cacheserver: listening on %s: set an advertise address for the cluster", host)
	}
	return host, port, nil
}

// newPeerPools builds the RESP2 and RESP3 forwarding pools and the
// control pool (see clusterState.peers). Each peer
// connection authenticates, selects its protocol and declares itself a
// peer, so the receiving node answers TRYAGAIN instead of forwarding again.
func (s *Server) newPeerPools(st *clusterState, cc ClusterConfig) error {
	for _, proto := range []int{0, 2, 3} {
		fc := forward.DefaultConfig()
		fc.ConnsPerPeer, fc.Timeout = cc.ForwardConns, cc.ForwardTimeout
		if proto == 0 {
			fc.ConnsPerPeer = 1
		}
		fc.Reader.MaxBulkLen = s.cfg.MaxBulkLen
		fc.Authenticate = s.authenticatePeer // peerauth.go: no password is ever sent
		if s.cfg.TLS.Cluster {
			fc.TLS = s.tls.peerConfig // tls.go
		}
		if proto == 3 {
			fc.Handshake = append(fc.Handshake, []string{"HELLO", "3"})
		}
		p, err := forward.New(fc)
		if err != nil {
			st.closePools()
			return err
		}
		st.peers[proto] = p
	}
	return nil
}

func (st *clusterState) closePools() {
	for _, p := range st.peers {
		if p != nil {
			_ = p.Close()
		}
	}
	if st.ho != nil {
		_ = st.ho.pool.Close()
	}
}

// onRing runs on the cluster's goroutine on every ring change, before the
// cluster publishes the new ring for routing. Slots whose ownership changed
// to or from this node are emptied first: data of a slot this node lost is
// no longer reachable, and data of a slot it gains predates the writes the
// previous owner took meanwhile, so serving it could return stale values.
// The function it returns runs once the ring is published.
func (s *Server) onRing(st *clusterState, old, next *ring.Ring) (published func()) {
	changed, all := make([]bool, ring.SlotCount), make([]bool, ring.SlotCount)
	moved := 0
	for _, m := range ring.Diff(old, next) {
		for slot := m.Start; slot <= m.End; slot++ {
			all[slot] = true
		}
		if m.From == st.self || m.To == st.self {
			for slot := m.Start; slot <= m.End; slot++ {
				changed[slot] = true
			}
			moved += m.Len()
		}
	}
	// Hand-off (handoff.go): lost slots are kept for their new owner to
	// pull, gained ones emptied and pulled from their previous owner once
	// the ring is published. With replicas, replicaDrop (replica.go) keeps
	// the copies this node replicates and a gained slot whose previous
	// owner's complete copy it holds: a slot this node lost or gained is
	// dropped only if both rules allow it, any other slot as replicaDrop says.
	drop, startHandoff := st.ho.onRing(old, next, changed)
	if st.repl != nil {
		rdrop := st.replicaDrop(old, next, changed)
		for slot := range drop {
			if changed[slot] {
				drop[slot] = drop[slot] && rdrop(slot)
			} else {
				drop[slot] = rdrop(slot)
			}
		}
		st.repl.applyRing(next)
	}
	dropped := s.store.DropSlots(func(slot int) bool { return drop[slot] })
	s.leases.dropSlots(changed)
	s.pubsub.dropShardSlots(changed) // pubsub_cluster.go: sunsubscribe, as Redis Cluster
	s.log.Info("ring applied", "members", next.Len(), "owned_slots", st.ownedSlots(next),
		"moved_slots", moved, "dropped_keys", dropped)
	return func() {
		st.gate.published() // inflight.go: commands routed from now on use next
		startHandoff()      // handoff.go: also sets peered once a joining node may serve
		rm := &recentMoves{at: time.Now(), slots: all}
		st.recent.Store(rm)
		st.wg.Add(1)
		go st.confirmRing(rm, next)
		if moved > 0 {
			// Tracking clients may cache keys of slots this node lost or
			// gained (their data is gone, and their owner changed): tell them
			// all, as a flush does, after the new ring is published so a
			// client that re-reads the slot table on it sees the new one.
			// Ring changes are rare; the SDK also re-reads its slot table on
			// this message.
			s.track.flushAll()
		}
		for _, m := range old.Members() {
			if nm, ok := next.Member(m.Name); !ok || nm.Addr != m.Addr {
				for _, p := range []int{0, 2, 3} {
					st.peers[p].Forget(m.Addr)
				}
			}
		}
	}
}

// ownedSlots is the number of slots this node owns in r.
func (st *clusterState) ownedSlots(r *ring.Ring) int {
	sh, _ := r.MemberShard(st.self)
	return sh.Slots
}

// nodeID is the 40-hex-digit id Redis Cluster clients expect, derived
// from the member name so it is stable across restarts.
func nodeID(name string) string {
	sum := sha1.Sum([]byte(name))
	return hex.EncodeToString(sum[:])
}

// stopCluster stops gossip and closes the peer connections.
func (s *Server) stopCluster() error {
	st := s.cs.Load()
	if st == nil {
		return nil
	}
	err := st.cl.Shutdown()
	st.cancel()
	st.wg.Wait()
	st.repl.close()
	st.closePools()
	return err
}

// Member is a cluster member as this node's gossip sees it.
type Member struct {
	Name   string
	Gossip string // gossip address
	RESP   string // RESP address
	Status string // "alive", "leaving", "left", "failed"
}

// Ring returns the ring this node routes with, or nil on a standalone node
// or before Serve started the cluster.
func (s *Server) Ring() *ring.Ring {
	if cs := s.cs.Load(); cs != nil {
		return cs.cl.Ring()
	}
	return nil
}

// Settled reports whether every member is known to route with the ring
// of the latest change (or two coalescing periods passed since it); until
// then moved mode answers TRYAGAIN for the slots that changed owner.
// Standalone: true.
func (s *Server) Settled() bool {
	cs := s.cs.Load()
	return cs == nil || cs.settled()
}

// Serving reports whether the node serves commands with keys now: a
// standalone node always; a clustered one once it joined and while it
// holds its lease (otherwise it answers CLUSTERDOWN).
func (s *Server) Serving() bool {
	cs := s.cs.Load()
	return cs == nil || cs.ready()
}

// NodeName returns the node's cluster name ("" when standalone).
func (s *Server) NodeName() string {
	if cs := s.cs.Load(); cs != nil {
		return cs.self
	}
	return ""
}

// GossipAddr returns the address gossip listens on, "" before Serve
// started the cluster or on a standalone node.
func (s *Server) GossipAddr() string {
	if cs := s.cs.Load(); cs != nil {
		return cs.cl.GossipAddr()
	}
	return ""
}

// Members lists every member gossip knows, including those that left or
// failed and are not yet forgotten.
func (s *Server) Members() []Member {
	cs := s.cs.Load()
	if cs == nil {
		return nil
	}
	var out []Member
	for _, m := range cs.cl.Members() {
		out = append(out, Member{Name: m.Name, Gossip: m.Addr, RESP: m.Tags[cluster.TagRESP], Status: m.Status})
	}
	return out
}
