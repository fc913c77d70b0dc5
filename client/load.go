package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/ring"
)

// getSlow is the path past L1: the owner node, in the caller's goroutine,
// then, on a cluster miss, one origin load per key at a time.
func (c *Client) getSlow(ctx context.Context, key string, o readOptions) (Result, error) {
	if c.ctx.Err() != nil {
		return Result{}, ErrClosed
	}
	var start time.Time
	if c.observing() {
		start = time.Now()
	}
	useL1 := c.l1 != nil && !o.skipL1
	slot := ring.KeySlot(key)
	n := c.router.nodeFor(slot)
	res, ok, err := c.fromRemote(ctx, key, slot, n, useL1)
	if ok { // a value, or a negative marker (err ErrNotFound)
		c.observe(ctx, key, TierRemote, err, start)
		return res, err
	}
	if err != nil && useL1 {
		if res, ok := c.duringOutage(key, n); ok {
			c.observe(ctx, key, TierL1, nil, start)
			return res, nil
		}
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		// Room to wait out another process's lease (it died while loading)
		// and then load: LeaseTTL + LoadTimeout (LeaseTTL is 0 without leases).
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.LeaseTTL+c.cfg.LoadTimeout+c.cfg.ReadTimeout)
		defer cancel()
		return c.fill(fctx, &loadReq{key: key, n: n, useL1: useL1, fn: o.load, tok: token{slot: uint16(slot)}})
	})
	select {
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case r := <-ch:
		if r.Shared {
			c.stats.sharedLoads.Add(1)
		}
		res, _ := r.Val.(Result)
		c.observe(ctx, key, res.Tier, r.Err, start)
		return res, r.Err
	}
}

// fromRemote reads key from its owner and fills L1 with it. err is the
// node's failure (a timeout included), nil for a miss.
func (c *Client) fromRemote(ctx context.Context, key string, slot int, n *node, useL1 bool) (Result, bool, error) {
	res, _, ok, err := c.fromRemoteTracked(ctx, key, slot, n, useL1)
	return res, ok, err
}

// fromRemoteTracked is fromRemote that also says whether the read was
// tracked (opt-in tracking: the node tracks the key for us, found or not).
func (c *Client) fromRemoteTracked(ctx context.Context, key string, slot int, n *node, useL1 bool) (Result, bool, bool, error) {
	var tok token
	if useL1 {
		tok = c.l1.begin(key, slot)
	}
	if !useL1 && n != nil { // the read policy's choice (readpolicy.go)
		if r := c.pickReader(slot, n); r != n {
			if v, err := c.readReplica(ctx, r, key); err == nil {
				c.stats.replicaReads.Add(1)
				res, err := replicaValue(v)
				return res, false, true, err
			}
		}
	}
	start := n.loadBegin()
	rep, ttl, err := c.readRemote(ctx, n, key, useL1, c.trackID(n, useL1))
	n.loadEnd(start, err == nil)
	if err != nil && n != nil {
		if v, ok := c.fromReplicas(ctx, slot, n, key); ok { // failover
			res, err := replicaValue(v)
			return res, false, true, err
		}
	}
	if !rep.found {
		return Result{}, rep.tracked, false, err
	}
	if isNegative(rep.val) {
		res, err := c.remoteNegative(n, key, tok, useL1, rep.tracked, ttl)
		return res, rep.tracked, true, err
	}
	val := rep.val
	if h := c.testHookAfterRemoteRead; h != nil {
		h(key)
	}
	if useL1 && c.mayInstall(n, rep.tracked) {
		c.l1.install(key, tok, val, false, ttl)
	}
	if ttl > 0 {
		c.maybeRefresh(key, ttl)
	}
	return Result{Value: val, Tier: TierRemote}, rep.tracked, true, nil
}

// loadFunc loads a key's value and may choose its TTL (0: Config.TTL).
type loadFunc func(ctx context.Context, key string) ([]byte, time.Duration, error)

// loadReq is one key's way through fill and load: its owner, the L1 token
// taken before the cluster was read, the loader (nil: Config.Loader), and
// how the value is written back.
type loadReq struct {
	key     string
	n       *node
	tok     token
	useL1   bool
	fn      loadFunc
	back    backMode
	lease   int64 // the lease token, with backLease
	tracked bool  // opt-in tracking: the owner tracks key for us (tracking.go)
	nodeErr error // the owner failed: why the cluster could not answer
}

// canLoad reports whether r has a loader.
func (c *Client) canLoad(r *loadReq) bool { return r.fn != nil || c.cfg.Loader != nil }

// fill runs inside the key's flight: L1 and the owner again (another
// flight may just have filled them), then the origin. r.tok holds only the
// slot until fill takes the L1 token.
func (c *Client) fill(ctx context.Context, r *loadReq) (Result, error) {
	if r.useL1 {
		if e, ok := c.l1Get(r.key); ok && !e.negative {
			return Result{Value: e.value, Tier: TierL1}, nil
		}
		r.tok = c.l1.begin(r.key, int(r.tok.slot))
	}
	if c.cfg.LeaseTTL > 0 && c.canLoad(r) && r.n != nil && !r.n.noLeases.Load() {
		return c.fillLeased(ctx, r)
	}
	return c.fillPlain(ctx, r)
}

// fillPlain is fill without leases: the owner again, then the origin,
// written back with SET NX.
func (c *Client) fillPlain(ctx context.Context, r *loadReq) (Result, error) {
	res, tracked, ok, err := c.fromRemoteTracked(ctx, r.key, int(r.tok.slot), r.n, r.useL1)
	if ok {
		return res, err
	}
	r.tracked = tracked
	r.back, r.nodeErr = backSetNX, err
	if err != nil {
		r.back = backNone
	}
	return c.load(ctx, r)
}

// backMode is how load writes an origin value back to the cluster.
type backMode uint8

const (
	backNone  backMode = iota // not at all (the node failed, or has no lease for us)
	backSetNX                 // SET NX PX: a node without leases
	backLease                 // LEASESET with the lease token
)

// readRemote asks the owner for the value and, withTTL, its remaining TTL
// (GET and PTTL in one round trip, see readPool), tracked when track is
// non-zero (tracking.go); the TTL is 0 without it. A node error (a timeout
// included) is returned, never taken for a miss; no node for the slot (no
// slot table yet) is ErrNodeUnavailable.
func (c *Client) readRemote(ctx context.Context, n *node, key string, withTTL bool, track int64) (remoteReply, time.Duration, error) {
	if n == nil {
		return remoteReply{}, 0, ErrNodeUnavailable
	}
	var r remoteReply
	_, err := n.br.Execute(func() (any, error) {
		err := retryBusy(ctx, func() (err error) {
			r, err = n.reads.get(ctx, key, withTTL, track)
			return err
		})
		return nil, callerErr(ctx, err)
	})
	switch {
	case err == nil && r.found:
		c.stats.tier[TierRemote].hit.Add(1)
		return r, time.Duration(max(r.pttl, 0)) * time.Millisecond, nil
	case err == nil:
		c.stats.tier[TierRemote].miss.Add(1)
		return r, 0, nil
	}
	c.nodeFailed(err)
	return remoteReply{}, 0, fmt.Errorf("%w: %s: %w", ErrNodeUnavailable, n.addr, err)
}

// load reads r.key from the origin through its breaker, writes it back to
// the owner as r.back says and fills L1. With a lease, L1 is filled only
// if the node accepted the value, and the entry expects the one
// invalidation our own LEASESET causes (see stored). Without a loader,
// the owner's failure (r.nodeErr) is returned, never ErrNotFound.
func (c *Client) load(ctx context.Context, r *loadReq) (Result, error) {
	if !c.canLoad(r) {
		if r.nodeErr != nil {
			return Result{Tier: TierRemote}, r.nodeErr
		}
		return Result{Tier: TierRemote}, ErrNotFound
	}
	c.stats.loads.Add(1)
	var ttl time.Duration
	start := time.Now()
	defer func() { c.noteLoadTime(time.Since(start)) }()
	v, err := c.origin.forKey(r.key).Execute(func() (any, error) {
		lctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout)
		defer cancel()
		if r.fn != nil {
			var v []byte
			var err error
			v, ttl, err = r.fn(lctx, r.key)
			return v, err
		}
		return c.cfg.Loader.Load(lctx, r.key)
	})
	val, _ := v.([]byte)
	if err == nil {
		c.stats.tier[TierOrigin].hit.Add(1)
		c.stored(ctx, r, val, ttl)
		return Result{Value: val, Tier: TierOrigin}, nil
	}
	return c.loadFailed(ctx, r, err)
}

// loadFailed ends a load that found nothing (err is ErrNotFound: cached as
// a negative entry) or failed (a stale value may be served): the lease, if
// any, is given back so the waiters need not wait for it to expire.
func (c *Client) loadFailed(ctx context.Context, r *loadReq, err error) (Result, error) {
	if errors.Is(err, ErrNotFound) {
		c.stats.tier[TierOrigin].miss.Add(1)
		c.storedNegative(ctx, r) // negative.go
		return Result{Tier: TierOrigin}, ErrNotFound
	}
	if r.back == backLease {
		c.leaseRelease(ctx, r.n, r.key, r.lease)
	}
	c.stats.tier[TierOrigin].errors.Add(1)
	if r.useL1 {
		if e, ok := c.l1.stale(r.key, c.cfg.StaleIfError); ok {
			c.stats.staleServed.Add(1)
			return Result{Value: e.value, Tier: TierL1, Stale: true}, nil
		}
	}
	return Result{Tier: TierOrigin}, fmt.Errorf("%w: %w", ErrOriginUnavailable, err)
}

// stored writes an origin value back with ttl (0: Config.TTL, jittered)
// and fills L1.
func (c *Client) stored(ctx context.Context, r *loadReq, val []byte, ttl time.Duration) {
	if ttl <= 0 {
		ttl = c.jitter(c.cfg.TTL)
	}
	if tok, written, ok := c.writeBackAs(ctx, r, val, ttl); ok {
		c.fillLoaded(r, tok, written, val, false, ttl)
	}
}

func (c *Client) writeBack(ctx context.Context, n *node, key string, val []byte, ttl time.Duration) {
	if n != nil {
		c.sendBack(n, func() error { return n.rdb.SetNX(ctx, key, val, ttl).Err() })
	}
}

// sendBack runs a write-back on n through its breaker and reports whether
// the node took it (a null reply means it refused: SET NX, LEASESET).
func (c *Client) sendBack(n *node, do func() error) bool {
	var took bool
	_, err := n.br.Execute(func() (any, error) {
		err := do()
		took = err == nil
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return nil, err
	})
	if err != nil {
		c.stats.writeBackErrors.Add(1)
		c.noteRedirect(err)
	}
	return took
}

// jitter varies d by ±TTLJitter.
func (c *Client) jitter(d time.Duration) time.Duration {
	if d <= 0 || c.cfg.TTLJitter == 0 {
		return d
	}
	f := 1 + c.cfg.TTLJitter*(2*rand.Float64()-1)
	return max(time.Duration(float64(d)*f), time.Millisecond)
}
