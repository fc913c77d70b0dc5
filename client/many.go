package client

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/ringcache/ringcache/ring"
)

// GetMany returns the values of keys that any tier has, keyed by key;
// absent keys are missing from the map. L1 answers first; the rest go to
// their owners in one pipelined batch per node, in parallel; what the
// cluster lacks is loaded from the origin (one load per key, at most 16 at
// once). The error joins the failures other than "not found".
func (c *Client) GetMany(ctx context.Context, keys []string) (map[string]Result, error) {
	out := make(map[string]Result, len(keys))
	var mu sync.Mutex
	put := func(k string, r Result) { mu.Lock(); out[k] = r; mu.Unlock() }
	byNode := map[*node][]string{}
	for _, k := range keys {
		if c.l1 != nil {
			if e, ok := c.l1Get(k); ok {
				if !e.negative {
					c.stats.l1Hits.add(e.hidx)
					out[k] = Result{Value: e.value, Tier: TierL1}
				}
				continue
			}
			c.stats.tier[TierL1].miss.Add(1)
		}
		n := c.router.nodeFor(ring.KeySlot(k))
		byNode[n] = append(byNode[n], k)
	}
	var missing []string
	var g errgroup.Group
	for n, ks := range byNode {
		g.Go(func() error {
			miss := c.remoteBatch(ctx, n, ks, put)
			mu.Lock()
			missing = append(missing, miss...)
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out, c.loadMany(ctx, missing, put)
}

// remoteBatch pipelines GETs for keys owned by n, reports hits through put
// and returns the keys to load from the origin.
func (c *Client) remoteBatch(ctx context.Context, n *node, keys []string, put func(string, Result)) []string {
	if n == nil {
		return keys
	}
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := n.br.Execute(func() (any, error) {
		_, err := n.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.Get(ctx, k)
			}
			return nil
		})
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return nil, err
	})
	if err != nil {
		c.stats.tier[TierRemote].errors.Add(1)
		c.noteRedirect(err)
		return keys
	}
	var miss []string
	for i, cmd := range cmds {
		if v, err := cmd.Bytes(); err == nil {
			c.stats.tier[TierRemote].hit.Add(1)
			put(keys[i], Result{Value: v, Tier: TierRemote})
			continue
		}
		c.stats.tier[TierRemote].miss.Add(1)
		miss = append(miss, keys[i])
	}
	return miss
}

func (c *Client) loadMany(ctx context.Context, keys []string, put func(string, Result)) error {
	if c.cfg.Loader == nil || len(keys) == 0 {
		return nil
	}
	var g errgroup.Group
	g.SetLimit(16)
	var mu sync.Mutex
	var errs []error
	for _, k := range keys {
		g.Go(func() error {
			r, err := c.getSlow(ctx, k, callOptions{})
			switch {
			case err == nil:
				put(k, r)
			case !errors.Is(err, ErrNotFound):
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}
