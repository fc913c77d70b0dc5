package client

import (
	"bytes"
	"context"
	"time"
)

// Negative caching. An origin "not found" is written to the cluster as
// negativeMarker with a TTL of Config.NegativeTTL (through the lease, as a
// value is), so every instance, with or without L1, answers ErrNotFound
// for that long without loading: the marker is what LEASEGET returns, so
// no lease is handed out for it. Reading the marker puts a negative entry
// in L1 that lives min(NegativeTTL, the marker's remaining PTTL,
// L1.MaxTTL); a write or Delete/Invalidate of the key removes the marker
// and, through the invalidation, the L1 entries. Other Redis clients read
// the marker's bytes as the key's value.

// negativeMarker stands for "the origin has no such key" in the cluster.
// A real value equal to it would read as not found.
var negativeMarker = []byte("\x00ringcache:not-found\x00")

func isNegative(v []byte) bool { return bytes.Equal(v, negativeMarker) }

// negativeTTL is how long an L1 negative entry read from a marker with
// pttl remaining may live.
func (c *Client) negativeTTL(pttl time.Duration) time.Duration {
	ttl := c.cfg.NegativeTTL
	if pttl > 0 {
		ttl = min(ttl, pttl)
	}
	return ttl
}

// remoteNegative handles a marker read from n: a negative L1 entry when
// allowed, and the result a Get returns.
func (c *Client) remoteNegative(n *node, key string, tok token, useL1, tracked bool, pttl time.Duration) (Result, error) {
	c.stats.negativeHits.Add(1)
	if useL1 && c.cfg.NegativeTTL > 0 && c.mayInstall(n, tracked) {
		c.l1.install(key, tok, nil, true, c.negativeTTL(pttl))
	}
	return Result{Tier: TierRemote}, ErrNotFound
}

// storedNegative records an origin "not found" for r: the marker written
// back as r.back says (the lease given back instead when negative caching
// is off), then L1.
func (c *Client) storedNegative(ctx context.Context, r *loadReq) {
	ttl := c.cfg.NegativeTTL
	if ttl <= 0 {
		if r.back == backLease {
			c.leaseRelease(ctx, r.n, r.key, r.lease)
		}
		return
	}
	tok, written, ok := c.writeBackAs(ctx, r, negativeMarker, ttl)
	if ok {
		c.fillLoaded(r, tok, written, nil, true, ttl)
	}
}

// writeBackAs writes val back for r as r.back says. It returns the L1 token
// the entry must carry (past our own LEASESET's push), whether anything was
// written, and false when the node refused the lease write (the value may
// be stale: it must not enter L1).
func (c *Client) writeBackAs(ctx context.Context, r *loadReq, val []byte, ttl time.Duration) (token, bool, bool) {
	tok := r.tok
	switch r.back {
	case backLease:
		if !c.leaseSet(ctx, r.n, r.key, r.lease, val, ttl) {
			return tok, true, false
		}
		// Our LEASESET makes the node push one invalidation of key to a
		// broadcast client; the entry is valid once exactly that one has
		// been applied, and hidden by any other.
		tok.seq++
		return tok, true, true
	case backSetNX:
		c.writeBack(ctx, r.n, r.key, val, ttl)
		return tok, true, true
	}
	return tok, false, true
}

// fillLoaded puts a loaded value, or a negative entry, into L1. Broadcast:
// while the owner's invalidations flow. Opt-in: only if nothing was written
// back, since our own write untracked the key (tracking.go); the next Get
// reads it back, tracked.
func (c *Client) fillLoaded(r *loadReq, tok token, written bool, val []byte, negative bool, ttl time.Duration) {
	if !r.useL1 {
		return
	}
	if c.optIn() {
		if written || !c.mayInstall(r.n, r.tracked) {
			return
		}
	} else if r.n != nil && !r.n.inval.live() {
		return
	}
	c.l1.install(r.key, tok, val, negative, ttl)
}
