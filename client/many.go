package client

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/errgroup"

	"github.com/ringcache/ringcache/ring"
)

// KeyErrors is GetMany's error: the failure of each key that failed (not
// found is not a failure: such keys are simply absent from the result).
type KeyErrors map[string]error

func (e KeyErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "ringcache: %d keys failed", len(e))
	for i, k := range keys {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; %s: %v", k, e[k])
	}
	return b.String()
}

// manyCall collects GetMany's results and per-key errors.
type manyCall struct {
	mu   sync.Mutex
	out  map[string]Result
	errs KeyErrors
}

func (m *manyCall) put(k string, r Result) { m.mu.Lock(); m.out[k] = r; m.mu.Unlock() }

func (m *manyCall) fail(k string, err error) {
	m.mu.Lock()
	m.errs[k] = err
	m.mu.Unlock()
}

// GetMany returns the values of keys that any tier has, keyed by key;
// absent keys are missing from the map. L1 answers first; the rest go to
// their owners in one pipelined batch per node (GET, and PTTL to fill L1),
// in parallel; what the cluster lacks is loaded from the origin: with a
// BatchLoader in one LoadMany call for all of them (through leases, like
// Get), otherwise one load per key (at most 16 at once). Values loaded are
// written back and fill L1. The error is nil or a KeyErrors.
func (c *Client) GetMany(ctx context.Context, keys []string) (map[string]Result, error) {
	m := &manyCall{out: make(map[string]Result, len(keys)), errs: KeyErrors{}}
	byNode := map[*node][]string{}
	for _, k := range keys {
		if c.l1 != nil {
			if e, ok := c.l1Get(k); ok {
				if !e.negative {
					c.stats.l1Hits.add(e.hidx)
					m.out[k] = Result{Value: e.value, Tier: TierL1}
				}
				continue
			}
			c.stats.tier[TierL1].miss.Add(1)
		}
		n := c.router.nodeFor(ring.KeySlot(k))
		byNode[n] = append(byNode[n], k)
	}
	var missing []string
	var mu sync.Mutex
	var g errgroup.Group
	for n, ks := range byNode {
		g.Go(func() error {
			miss := c.remoteBatch(ctx, n, ks, m)
			mu.Lock()
			missing = append(missing, miss...)
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	c.loadMissing(ctx, missing, m)
	if len(m.errs) > 0 {
		return m.out, m.errs
	}
	return m.out, nil
}

// remoteBatch asks n for keys in one request (GET, and PTTL with L1, on a
// read connection, tracked with opt-in tracking), reports hits through m
// and returns the keys the node does not have, or all of them if the node
// failed.
func (c *Client) remoteBatch(ctx context.Context, n *node, keys []string, m *manyCall) []string {
	if n == nil {
		return keys
	}
	useL1 := c.l1 != nil
	toks := make([]token, len(keys))
	if useL1 {
		for i, k := range keys {
			toks[i] = c.l1.begin(k, ring.KeySlot(k))
		}
	}
	track := c.trackID(n, useL1)
	var reps []remoteReply
	_, err := n.br.Execute(func() (any, error) {
		err := n.reads.do(ctx, func(cn *readConn) error {
			var err error
			reps, err = cn.getMany(ctx, keys, useL1, track, n.reads.cfg)
			return err
		})
		return nil, callerErr(ctx, err)
	})
	if err != nil {
		c.nodeFailed(err)
		return keys
	}
	var miss []string
	for i, r := range reps {
		if !r.found {
			c.stats.tier[TierRemote].miss.Add(1)
			miss = append(miss, keys[i])
			continue
		}
		if isNegative(r.val) {
			_, _ = c.remoteNegative(n, keys[i], toks[i], useL1, r.tracked, time.Duration(max(r.pttl, 0))*time.Millisecond)
			continue // not found: absent from the result
		}
		c.stats.tier[TierRemote].hit.Add(1)
		if useL1 && c.mayInstall(n, r.tracked) {
			c.l1.install(keys[i], toks[i], r.val, false, time.Duration(max(r.pttl, 0))*time.Millisecond)
		}
		m.put(keys[i], Result{Value: r.val, Tier: TierRemote})
	}
	return miss
}

// loadMissing loads the keys the cluster lacks: one LoadMany for those this
// process may load (its lease, or no lease needed), Get's path for the
// keys another process is loading.
func (c *Client) loadMissing(ctx context.Context, keys []string, m *manyCall) {
	if len(keys) == 0 {
		return
	}
	bl, ok := c.cfg.Loader.(BatchLoader)
	if !ok || c.cfg.Loader == nil {
		parallel(keys, func(k string) { c.getOne(ctx, k, m) })
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout+c.cfg.LeaseTTL+c.cfg.ReadTimeout)
	defer cancel()
	var mu sync.Mutex
	var batch []*loadReq
	var waiting []string
	parallel(keys, func(k string) {
		b, wait := c.claim(ctx, k, m)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case wait:
			waiting = append(waiting, k)
		case b != nil:
			batch = append(batch, b)
		}
	})
	c.loadBatch(ctx, bl, batch, m)
	parallel(waiting, func(k string) { c.getOne(ctx, k, m) })
}

// parallel runs f for every item, at most 16 at once.
func parallel[T any](items []T, f func(T)) {
	var g errgroup.Group
	g.SetLimit(16)
	for _, it := range items {
		g.Go(func() error { f(it); return nil })
	}
	_ = g.Wait()
}

// getOne is Get's path past L1 for one key of GetMany.
func (c *Client) getOne(ctx context.Context, k string, m *manyCall) {
	r, err := c.getSlow(ctx, k, readOptions{})
	switch {
	case err == nil:
		m.put(k, r)
	case !errors.Is(err, ErrNotFound):
		m.fail(k, err)
	}
}

// claim decides how GetMany loads key: with the lease LEASEGET gives this
// process (or without one, when leases are off or unavailable), or not at
// all because the value appeared (it is put in m) or another process holds
// the lease (wait).
func (c *Client) claim(ctx context.Context, key string, m *manyCall) (b *loadReq, wait bool) {
	slot := ring.KeySlot(key)
	n := c.router.nodeFor(slot)
	b = &loadReq{key: key, n: n, back: backSetNX, useL1: c.l1 != nil}
	if b.useL1 {
		b.tok = c.l1.begin(key, slot)
	}
	if c.cfg.LeaseTTL == 0 || n == nil || n.noLeases.Load() {
		if n == nil {
			b.back = backNone
		}
		return b, false
	}
	rep, err := c.leaseGet(ctx, n, key, false, c.trackID(n, b.useL1))
	b.tracked = rep.tracked
	switch {
	case errors.Is(err, errNoLeases):
	case err != nil:
		c.nodeFailed(err)
		b.back = backNone
	case rep.kind == leaseValue && isNegative(rep.value):
		_, _ = c.remoteNegative(n, key, b.tok, b.useL1, rep.tracked, time.Duration(max(rep.pttl, 0))*time.Millisecond)
		return nil, false // not found: absent from the result
	case rep.kind == leaseValue:
		c.stats.tier[TierRemote].hit.Add(1)
		m.put(key, Result{Value: rep.value, Tier: TierRemote})
		return nil, false
	case rep.kind == leaseOurs:
		b.back, b.lease = backLease, rep.token
	case rep.kind == leaseNone:
		b.back = backNone
	default:
		return nil, true
	}
	return b, false
}

// loadBatch loads batch with one LoadMany call, writes each value back as
// its key's backMode says and fills L1; keys the origin lacks give their
// lease back and are cached as negative entries.
func (c *Client) loadBatch(ctx context.Context, bl BatchLoader, batch []*loadReq, m *manyCall) {
	if len(batch) == 0 {
		return
	}
	// One LoadMany per origin breaker group (BreakerConfig.OriginGroups).
	var groups [][]*loadReq
	idx := map[*gobreaker.CircuitBreaker[any]]int{}
	for _, b := range batch {
		br := c.origin.forKey(b.key)
		i, ok := idx[br]
		if !ok {
			i = len(groups)
			idx[br] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], b)
	}
	parallel(groups, func(g []*loadReq) { c.loadGroup(ctx, bl, g, m) })
}

// loadGroup is loadBatch for keys of one origin breaker group.
func (c *Client) loadGroup(ctx context.Context, bl BatchLoader, batch []*loadReq, m *manyCall) {
	keys := make([]string, len(batch))
	for i, b := range batch {
		keys[i] = b.key
	}
	c.stats.loads.Add(int64(len(keys)))
	v, err := c.origin.forKey(keys[0]).Execute(func() (any, error) {
		lctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout)
		defer cancel()
		return bl.LoadMany(lctx, keys)
	})
	vals, _ := v.(map[string][]byte)
	parallel(batch, func(b *loadReq) {
		val, found := vals[b.key]
		switch {
		case err != nil:
			c.batchFailed(ctx, b, err, m)
		case found:
			c.stats.tier[TierOrigin].hit.Add(1)
			c.stored(ctx, b, val, 0)
			m.put(b.key, Result{Value: val, Tier: TierOrigin})
		default:
			c.batchFailed(ctx, b, ErrNotFound, m)
		}
	})
}

// batchFailed handles a key LoadMany did not return (err is ErrNotFound)
// or failed for, as load does for one key.
func (c *Client) batchFailed(ctx context.Context, b *loadReq, err error, m *manyCall) {
	r, err := c.loadFailed(ctx, b, err)
	switch {
	case err == nil:
		m.put(b.key, r)
	case !errors.Is(err, ErrNotFound):
		m.fail(b.key, err)
	}
}
