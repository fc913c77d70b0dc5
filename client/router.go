package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"

	"github.com/ringcache/ringcache/ring"
)

// node is one cluster member as the client uses it.
type node struct {
	addr  string
	rdb   *redis.Client
	reads *readPool // the remote-hit read (GET+PTTL)
	ro    *readPool // READONLY connections: reads of slots it holds as a replica (readpolicy.go)
	load  readLoad  // reads in flight and latency, for the read policies
	br    *gobreaker.CircuitBreaker[any]
	inval *invalidator
	// noLeases is set once the node answered LEASEGET "unknown command"
	// (redis-server): its keys load without leases.
	noLeases atomic.Bool
	// lastOK is when (client clock) a call to the node last succeeded: a
	// timeout opens the breaker only if that is over OpenTimeout ago.
	lastOK atomic.Int64
}

// table is an immutable slot → node map.
type table struct {
	nodes map[string]*node
	slots [ring.SlotCount]*node
	// sets are the distinct replica sets (primary first) and setOf each
	// slot's index in it plus one (0: the slot has no replica).
	sets  [][]*node
	setOf [ring.SlotCount]uint16
}

// router keeps the slot table current: read from any seed or known node,
// refreshed on demand (one refresh in flight, callers share it) and
// periodically.
type router struct {
	c      *Client
	tbl    atomic.Pointer[table]
	flight singleflight.Group
	again  atomic.Bool // a refresh was requested while one was running
	// lastErrRefresh is when a node error last asked for a refresh
	// (client clock), see Client.nodeFailed.
	lastErrRefresh atomic.Int64
	mu             sync.Mutex // serialises table swaps
	closed         bool
}

func (r *router) current() *table { return r.tbl.Load() }

// replicaSet returns the nodes holding slot, primary first; nil when the
// slot has no replica (or no table yet).
func (r *router) replicaSet(slot int) []*node {
	if t := r.tbl.Load(); t != nil && t.setOf[slot] != 0 {
		return t.sets[t.setOf[slot]-1]
	}
	return nil
}

func (r *router) nodeFor(slot int) *node {
	if t := r.tbl.Load(); t != nil {
		return t.slots[slot]
	}
	return nil
}

// refresh reads the slot table and swaps it in; concurrent callers share one
// refresh. A refresh requested while one is reading (refreshAsync) makes it
// read again once more: the reason for the request (a node that just
// applied a new ring) may postdate the answer being read.
func (r *router) refresh(ctx context.Context) error {
	_, err, _ := r.flight.Do("refresh", func() (any, error) {
		for range 3 {
			r.again.Store(false)
			shards, from, err := r.fetch(ctx)
			if err != nil {
				return nil, err
			}
			host, _, _ := net.SplitHostPort(from)
			if err := r.swap(shards, host); err != nil || !r.again.Load() {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// refreshAsync starts a refresh unless one is running, in which case that
// one reads the table again; it never blocks.
func (r *router) refreshAsync() {
	r.c.stats.refreshes.Add(1)
	r.again.Store(true)
	r.c.goAsync(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := r.refresh(ctx); err != nil {
			r.c.log.Warn("slot table refresh failed", "err", err)
		}
	})
}

// topologyTimeout bounds reading CLUSTER SHARDS from one node.
const topologyTimeout = time.Second

// fetch asks the known nodes, then the seeds, for CLUSTER SHARDS.
func (r *router) fetch(ctx context.Context) ([]redis.ClusterShard, string, error) {
	var addrs []string
	if t := r.tbl.Load(); t != nil {
		for a := range t.nodes {
			addrs = append(addrs, a)
		}
	}
	addrs = append(addrs, r.c.cfg.Seeds...)
	var errs []error
	for _, a := range addrs {
		// The table is large (a ringcache ring lists thousands of slot
		// ranges) and not on any request's path: allow it more than a hop.
		opts := r.c.redisOptions(a, 1)
		opts.ReadTimeout = max(opts.ReadTimeout, topologyTimeout)
		opts.WriteTimeout = max(opts.WriteTimeout, topologyTimeout)
		rdb := redis.NewClient(opts)
		shards, err := rdb.ClusterShards(ctx).Result()
		_ = rdb.Close()
		if err == nil {
			return shards, a, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", a, err))
	}
	return nil, "", fmt.Errorf("ringcache: no node answered CLUSTER SHARDS: %w", errors.Join(errs...))
}

// swap builds the new table, reusing nodes by address, starts what is new,
// hides L1 entries of slots that changed owner and closes what is gone.
// sourceHost stands in for a node that does not know its own IP (a lone
// Redis Cluster node reports an empty one).
func (r *router) swap(shards []redis.ClusterShard, sourceHost string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	old := r.tbl.Load()
	next := &table{nodes: map[string]*node{}}
	for _, sh := range shards {
		addr := primaryAddr(sh, sourceHost)
		if addr == "" {
			continue
		}
		n := next.nodes[addr]
		if n == nil {
			n = r.reuseOrNew(old, addr)
			next.nodes[addr] = n
		}
		for _, rg := range sh.Slots {
			for s := max(rg.Start, 0); s <= min(rg.End, ring.SlotCount-1); s++ {
				next.slots[s] = n
			}
		}
	}
	if len(next.nodes) == 0 {
		return errors.New("ringcache: CLUSTER SHARDS listed no primary")
	}
	r.buildSets(old, next, shards, sourceHost)
	r.tbl.Store(next)
	r.dropMoved(old, next)
	r.closeGone(old, next)
	return nil
}

func primaryAddr(sh redis.ClusterShard, sourceHost string) string {
	for _, n := range sh.Nodes {
		if isReplicaRole(n.Role) {
			continue
		}
		if a := nodeAddr(n, sourceHost); a != "" {
			return a
		}
	}
	return ""
}

func nodeAddr(n redis.Node, sourceHost string) string {
	host := n.IP
	if host == "" {
		host = n.Endpoint
	}
	if host == "" {
		host = sourceHost
	}
	if host == "" || n.Port == 0 {
		return ""
	}
	return net.JoinHostPort(host, strconv.FormatInt(n.Port, 10))
}

// buildSets fills next's replica sets: from the shards' replica nodes, or
// from testReplicaSets. Nodes only a replica are added to next.nodes.
func (r *router) buildSets(old, next *table, shards []redis.ClusterShard, sourceHost string) {
	setFor := func(slot int, addrs []string) {
		if len(addrs) < 2 || next.slots[slot] == nil {
			return
		}
		set := []*node{next.slots[slot]}
		for _, a := range addrs[1:] {
			n := next.nodes[a]
			if n == nil {
				n = r.reuseOrNew(old, a)
				next.nodes[a] = n
			}
			set = append(set, n)
		}
		for i, s := range next.sets { // few distinct sets: reuse
			if slicesEqual(s, set) {
				next.setOf[slot] = uint16(i + 1)
				return
			}
		}
		next.sets = append(next.sets, set)
		next.setOf[slot] = uint16(len(next.sets))
	}
	if h := r.c.testReplicaSets.Load(); h != nil {
		for s := range next.slots {
			if p := next.slots[s]; p != nil {
				setFor(s, append([]string{p.addr}, (*h)(s, p.addr)...))
			}
		}
		return
	}
	for _, sh := range shards {
		addrs := []string{primaryAddr(sh, sourceHost)}
		for _, n := range sh.Nodes {
			if a := nodeAddr(n, sourceHost); isReplicaRole(n.Role) && a != "" {
				addrs = append(addrs, a)
			}
		}
		for _, rg := range sh.Slots {
			for s := max(rg.Start, 0); s <= min(rg.End, ring.SlotCount-1); s++ {
				setFor(int(s), addrs)
			}
		}
	}
}

func slicesEqual(a, b []*node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (r *router) reuseOrNew(old *table, addr string) *node {
	if old != nil && old.nodes[addr] != nil {
		return old.nodes[addr]
	}
	n := &node{addr: addr, rdb: redis.NewClient(r.c.redisOptions(addr, r.c.cfg.PoolSize)),
		reads: newReadPool(addr, &r.c.cfg), ro: newReadPool(addr, &r.c.cfg)}
	n.ro.readonly = true
	n.br = r.c.newBreaker("node "+addr, n)
	if r.c.l1 != nil {
		n.inval = newInvalidator(r.c, n)
	}
	return n
}

func (r *router) dropMoved(old, next *table) {
	if old == nil || r.c.l1 == nil {
		return
	}
	var moved []int
	for s := range next.slots {
		if old.slots[s] != next.slots[s] {
			moved = append(moved, s)
		}
	}
	r.c.l1.dropSlots(moved)
}

func (r *router) closeGone(old, next *table) {
	if old == nil {
		return
	}
	for addr, n := range old.nodes {
		if next.nodes[addr] == nil {
			n.close()
		}
	}
}

// slotsOf returns the slots n owns in the current table.
func (r *router) slotsOf(n *node) []int {
	t := r.tbl.Load()
	if t == nil {
		return nil
	}
	var out []int
	for s, o := range t.slots {
		if o == n {
			out = append(out, s)
		}
	}
	return out
}

func (r *router) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if t := r.tbl.Load(); t != nil {
		for _, n := range t.nodes {
			n.close()
		}
	}
}

func (n *node) close() {
	if n.inval != nil {
		n.inval.close()
	}
	n.reads.close()
	n.ro.close()
	_ = n.rdb.Close()
}
