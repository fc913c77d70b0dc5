package client

import (
	"context"
	"time"
)

// Degraded mode. New does not need a reachable cluster: without a slot
// table every Get goes to the origin, and a goroutine keeps reading the
// table (backoff 50ms doubling to 2s) until a seed answers; Health says
// where the client stands. A node failure (a timeout included) re-reads
// the slot table at most every errorRefreshEvery, with or without L1. While
// a node's invalidation connection is down, a Get whose read of the node
// fails may be answered by the L1 entry filled before the outage (not
// invalidated since, within its TTL) for up to L1.OutageWindow after the
// connection dropped, flagged Stale; otherwise by the origin.

// errorRefreshEvery rate-limits the slot-table refreshes node errors ask for.
const errorRefreshEvery = 100 * time.Millisecond

// Health is the client's view of the cluster.
type Health struct {
	// Connected: a slot table has been read; false while New's background
	// connection attempts have not reached any seed.
	Connected bool
	// Nodes is the number of nodes in the slot table; Live those whose
	// invalidation connection is up (with L1 disabled: whose breaker is
	// not open).
	Nodes, Live int
}

// Health reports the slot table and the nodes' connection state.
func (c *Client) Health() Health {
	t := c.router.current()
	if t == nil {
		return Health{}
	}
	h := Health{Connected: true, Nodes: len(t.nodes)}
	for _, n := range t.nodes {
		if (n.inval != nil && n.inval.live()) || (n.inval == nil && n.br.State().String() != "open") {
			h.Live++
		}
	}
	return h
}

// connectLoop reads the slot table until it succeeds or the client closes;
// New runs it (counted in c.wg) when no seed answered.
func (c *Client) connectLoop() {
	defer c.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(backoff):
		}
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
		err := c.router.refresh(ctx)
		cancel()
		if err == nil {
			c.log.Info("connected to the cluster")
			return
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// nodeFailed counts a node error and asks for a slot-table refresh: on a
// redirect at once, on any other failure at most every errorRefreshEvery
// (the node may have died and the cluster moved its slots).
func (c *Client) nodeFailed(err error) {
	c.stats.tier[TierRemote].errors.Add(1)
	if isRedirect(err) {
		c.router.refreshAsync()
		return
	}
	now := c.clock.now()
	last := c.router.lastErrRefresh.Load()
	if now-last >= int64(errorRefreshEvery) && c.router.lastErrRefresh.CompareAndSwap(last, now) {
		c.router.refreshAsync()
	}
}

// duringOutage answers key from L1 when its node's invalidation connection
// has been down for less than L1.OutageWindow and the entry was valid when
// it dropped.
func (c *Client) duringOutage(key string, n *node) (Result, bool) {
	w := c.cfg.L1.OutageWindow
	if w <= 0 || n == nil || n.inval == nil {
		return Result{}, false
	}
	now := c.clock.now()
	down := n.inval.downSince.Load()
	if down == 0 || now-down >= int64(w) {
		return Result{}, false
	}
	e, ok := c.l1.get(key, now)
	if !ok || e.negative {
		return Result{}, false
	}
	c.stats.outageServed.Add(1)
	return Result{Value: e.value, Tier: TierL1, Stale: true}, true
}
