package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Read policies (Config.ReadPolicy, issue #12 item 5). A slot is held by its
// replica set: the primary first, then ring.Config.Replicas replicas (the
// server's ring.(*Ring).ReplicaSet, which the client learns from CLUSTER
// SHARDS: the nodes listed with a replica role). A read that will not fill
// L1 (L1 disabled, SkipL1, a key outside L1.Prefixes) goes to the member the
// policy picks, over a READONLY connection when that is a replica. Reads
// that fill L1 always go to the primary: L1's coherence rests on the
// primary's invalidations (tracking.go), which a replica's copy does not
// give. Whatever the policy, a read whose primary fails (unreachable, its
// breaker open) is tried on the replicas, in set order.
//
// A replica answers for its local copy only under the server's READONLY
// semantics; a replica that answers -MOVED (or -ASK, -TRYAGAIN,
// -CLUSTERDOWN), or a miss (its copy may lag), makes the client read the
// primary instead.

// ReadPolicy chooses which member of a slot's replica set serves a read.
type ReadPolicy uint8

// The read policies.
const (
	// ReadPrimary reads from the primary only (the default).
	ReadPrimary ReadPolicy = iota
	// ReadRoundRobin rotates over the slot's replicas (the primary when the
	// slot has none).
	ReadRoundRobin
	// ReadLeastOutstanding picks the member with the fewest reads in flight
	// from this client, the primary on a tie.
	ReadLeastOutstanding
	// ReadLowestLatency picks the member with the lowest moving average of
	// read latency seen by this client (members not yet measured first);
	// one read in exploreEvery goes round-robin over the set instead, so
	// the other members' averages stay current.
	ReadLowestLatency
	// ReadSameZone picks the first member in Config.Zone (by
	// Config.NodeZones), else the primary.
	ReadSameZone
)

func (p ReadPolicy) String() string {
	return [...]string{"primary", "round-robin", "least-outstanding", "lowest-latency", "same-zone", "invalid"}[min(int(p), 5)]
}

// exploreEvery is how often ReadLowestLatency reads a member regardless
// of its average.
const exploreEvery = 16

// readLoad is a node's read accounting for the policies.
type readLoad struct {
	outstanding atomic.Int64
	ewma        atomic.Int64 // ns, weight 1/8; 0 until measured
	served      atomic.Int64 // reads that succeeded (tests, benchmarks)
}

func (l *readLoad) begin() time.Time { l.outstanding.Add(1); return time.Now() }

func (l *readLoad) end(start time.Time, ok bool) {
	l.outstanding.Add(-1)
	if !ok {
		return
	}
	l.served.Add(1)
	d := int64(time.Since(start))
	if old := l.ewma.Load(); old == 0 {
		l.ewma.Store(d)
	} else {
		l.ewma.Store(old + (d-old)/8)
	}
}

// pickReader returns the member of slot's replica set the policy chooses
// for a read that does not fill L1 (primary when the slot has no replica or
// the policy is ReadPrimary). Members whose breaker is open are skipped.
func (c *Client) pickReader(slot int, primary *node) *node {
	if c.cfg.ReadPolicy == ReadPrimary {
		return primary
	}
	set := c.router.replicaSet(slot)
	if len(set) < 2 {
		return primary
	}
	usable := func(n *node) bool { return n.br.State().String() != "open" }
	var best *node
	switch c.cfg.ReadPolicy {
	case ReadRoundRobin:
		reps := set[1:]
		start := int(c.rr.Add(1) % uint64(len(reps)))
		for i := range reps {
			if n := reps[(start+i)%len(reps)]; usable(n) {
				return n
			}
		}
	case ReadLowestLatency, ReadLeastOutstanding:
		if c.cfg.ReadPolicy == ReadLowestLatency {
			if i := c.rr.Add(1); i%exploreEvery == 0 {
				if n := set[int(i/exploreEvery)%len(set)]; usable(n) {
					return n
				}
			}
		}
		score := func(n *node) int64 {
			if c.cfg.ReadPolicy == ReadLeastOutstanding {
				return n.load.outstanding.Load()
			}
			return n.load.ewma.Load()
		}
		for _, n := range set {
			if usable(n) && (best == nil || score(n) < score(best)) {
				best = n
			}
		}
	case ReadSameZone:
		for _, n := range set {
			if usable(n) && c.cfg.NodeZones[n.addr] == c.cfg.Zone {
				return n
			}
		}
	}
	if best == nil {
		return primary
	}
	return best
}

// errNotServed is a replica's -MOVED (or a miss): read the primary.
var errNotServed = errors.New("ringcache: replica did not serve the read")

// readReplica reads key from n over its READONLY pool, without L1. A
// redirect or a miss is errNotServed.
func (c *Client) readReplica(ctx context.Context, n *node, key string) ([]byte, error) {
	var r remoteReply
	start := n.load.begin()
	_, err := n.br.Execute(func() (any, error) {
		var err error
		r, err = n.ro.get(ctx, key, false, 0)
		if err != nil && isRedirect(err) {
			return nil, nil // the node is fine; it just does not serve this slot
		}
		return nil, callerErr(ctx, err)
	})
	n.load.end(start, err == nil && r.found)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrNodeUnavailable, n.addr, err)
	case !r.found:
		c.stats.replicaNotServed.Add(1)
		return nil, errNotServed
	}
	return r.val, nil
}

// fromReplicas serves a read the primary could not: each replica in set
// order until one has the key.
func (c *Client) fromReplicas(ctx context.Context, slot int, primary *node, key string) ([]byte, bool) {
	for _, n := range c.router.replicaSet(slot) {
		if n == primary {
			continue
		}
		if v, err := c.readReplica(ctx, n, key); err == nil {
			c.stats.failoverReads.Add(1)
			return v, true
		}
	}
	return nil, false
}

// replicaValue turns a value read from a replica into Get's answer (a
// negative marker is ErrNotFound; nothing enters L1).
func replicaValue(v []byte) (Result, error) {
	if isNegative(v) {
		return Result{Tier: TierRemote}, ErrNotFound
	}
	return Result{Value: v, Tier: TierRemote}, nil
}

// isReplicaRole reports whether a CLUSTER SHARDS node role names a
// replica.
func isReplicaRole(role string) bool {
	return role != "" && !strings.EqualFold(role, "master") && !strings.EqualFold(role, "primary")
}

// loadBegin and loadEnd account a primary read (n may be nil: no table).
func (n *node) loadBegin() time.Time {
	if n == nil {
		return time.Time{}
	}
	return n.load.begin()
}

func (n *node) loadEnd(start time.Time, ok bool) {
	if n != nil {
		n.load.end(start, ok)
	}
}
