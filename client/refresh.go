package client

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ringcache/ringcache/ring"
)

// Early refresh (XFetch: Vattani, Chierichetti, Lowenstein, "Optimal
// Probabilistic Cache Stampede Prevention", VLDB 2015). A Get answered by
// L1 or the owner, for a value whose cluster TTL ends at expiry, refreshes
// it in the background when
//
//	now - Δ·β·ln(U) ≥ expiry,   U uniform in (0, 1]
//
// where Δ is the client's recent origin load time (a moving average) and
// β is Config.EarlyRefresh: the closer to expiry and the slower the
// origin, the likelier, so a hot key is usually reloaded once, shortly
// before it would have expired, while readers keep getting the current
// value (stale-while-revalidate: nobody waits for the refresh). The
// refresh takes the key's lease with LEASEGET ... EARLY (one refresher
// cluster-wide; a write to the key meanwhile voids it) and writes the new
// value with LEASESET, which overwrites.

// defaultDelta stands for Δ before this client has timed any origin load.
const defaultDelta = time.Millisecond

// noteLoadTime folds one origin load's duration into Δ (weight 1/8).
func (c *Client) noteLoadTime(d time.Duration) {
	old := c.loadDelta.Load()
	if old == 0 {
		c.loadDelta.Store(int64(d))
		return
	}
	c.loadDelta.Store(old - old/8 + int64(d)/8)
}

// maybeRefresh starts a background refresh of key if XFetch says so;
// remaining is how long the cluster still holds the value.
func (c *Client) maybeRefresh(key string, remaining time.Duration) {
	beta := c.cfg.EarlyRefresh
	if beta <= 0 || remaining <= 0 || c.cfg.Loader == nil {
		return
	}
	delta := time.Duration(c.loadDelta.Load())
	if delta <= 0 {
		delta = defaultDelta
	}
	if float64(remaining) > -float64(delta)*beta*math.Log(1-rand.Float64()) {
		return
	}
	if _, busy := c.refreshing.LoadOrStore(key, struct{}{}); busy {
		return
	}
	c.goAsync(func(ctx context.Context) {
		defer c.refreshing.Delete(key)
		ctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout+c.cfg.ReadTimeout)
		defer cancel()
		c.refresh(ctx, key)
	})
}

// refresh reloads key under an early lease, if no one else holds it.
func (c *Client) refresh(ctx context.Context, key string) {
	slot := ring.KeySlot(key)
	n := c.router.nodeFor(slot)
	if n == nil || n.noLeases.Load() || c.cfg.LeaseTTL == 0 {
		return
	}
	r := &loadReq{key: key, n: n, useL1: c.l1 != nil, back: backLease, tok: token{slot: uint16(slot)}}
	if r.useL1 {
		r.tok = c.l1.begin(key, slot)
	}
	rep, err := c.leaseGet(ctx, n, key, true, 0)
	if err != nil || rep.kind != leaseValue || rep.token == 0 {
		return // failed, gone (the next Get loads it), or another refresher
	}
	r.lease = rep.token
	c.stats.earlyRefreshes.Add(1)
	if _, err := c.load(ctx, r); err != nil {
		c.log.Debug("early refresh failed", "err", err)
	}
}
