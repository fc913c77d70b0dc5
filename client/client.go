package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"

	"github.com/ringcache/ringcache/ring"
)

// Tier says where a value came from.
type Tier uint8

// The tiers, nearest first.
const (
	TierNone   Tier = iota
	TierL1          // in-process
	TierRemote      // the owner node
	TierOrigin      // the Loader
)

func (t Tier) String() string {
	return [...]string{"none", "l1", "remote", "origin"}[t]
}

// Result describes a Get. Value is shared with the cache: do not modify it.
type Result struct {
	Value []byte
	Tier  Tier
	// Stale is set when Value is past its freshness and was served because
	// the origin failed (stale-if-error).
	Stale bool
}

// Client is a ringcache SDK instance. It is safe for concurrent use.
type Client struct {
	cfg    Config
	log    *slog.Logger
	l1     *l1
	router router
	flight singleflight.Group
	origin originBreakers // per key group (origingroups.go)
	stats  stats
	clock  monoClock
	// loadDelta is the moving average of origin load times, in ns, and
	// refreshing the keys being refreshed early (refresh.go).
	loadDelta  atomic.Int64
	refreshing sync.Map

	// testHookAfterRemoteRead runs between a fill's remote read and its
	// L1 install (tests force the fill race with it).
	testHookAfterRemoteRead func(key string)
	// testHookInvalidated runs after a pushed invalidation of key was
	// applied to L1 (tests measure invalidation lag with it).
	testHookInvalidated func(key string)
	// testReplicaSets, when set, gives each slot's replicas (addresses)
	// in place of CLUSTER SHARDS's: tests use it until the server lists
	// replicas.
	testReplicaSets atomic.Pointer[func(slot int, primary string) []string]
	rr              atomic.Uint64 // ReadRoundRobin's counter

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New connects to the cluster: it reads the slot table from a seed, opens
// the invalidation connections and starts the periodic refresh. If no seed
// answers, New still succeeds: Gets go to the origin while a goroutine
// keeps trying the seeds (see Health). It fails only on an invalid Config.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Seeds = slices.Clone(cfg.Seeds)
	if cfg.TLS != nil {
		cfg.TLS = cfg.TLS.Clone()
	}
	cfg.L1.Prefixes = slices.Clone(cfg.L1.Prefixes)
	cfg.Breaker.OriginGroups = slices.Clone(cfg.Breaker.OriginGroups)
	cfg.NodeZones = maps.Clone(cfg.NodeZones)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Client{cfg: cfg, log: cfg.Logger, clock: monoClock{start: time.Now()}}
	c.router.c = c
	c.origin = c.newOriginBreakers()
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if !cfg.L1.Disabled {
		l, err := newL1(cfg.L1, cfg.StaleIfError, c.clock)
		if err != nil {
			return nil, fmt.Errorf("ringcache: L1: %w", err)
		}
		c.l1 = l
	}
	if err := c.router.refresh(ctx); err != nil {
		// Degraded mode (degraded.go): serve from the origin meanwhile.
		c.log.Warn("no seed answered: connecting in the background", "err", err)
		c.wg.Add(1)
		go c.connectLoop()
	}
	c.wg.Add(1)
	go c.every(c.cfg.RefreshInterval, c.router.refreshAsync)
	if c.l1 != nil {
		c.wg.Add(1)
		go c.every(sweepInterval(c.cfg.L1.MaxTTL), func() { c.l1.sweep() })
	}
	return c, nil
}

// Close stops background work and closes every connection. Safe to call
// more than once.
func (c *Client) Close() error {
	c.once.Do(func() {
		c.cancel()
		c.router.close()
		c.wg.Wait()
		if c.l1 != nil {
			c.l1.close()
		}
	})
	return nil
}

// every calls f every d until the client closes; run it as a goroutine
// counted in c.wg. It refreshes the slot table and sweeps expired L1
// entries (see l1.sweep).
func (c *Client) every(d time.Duration, f func()) {
	defer c.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// goAsync runs f in a goroutine owned by the client (joined by Close).
func (c *Client) goAsync(f func(ctx context.Context)) {
	select {
	case <-c.ctx.Done():
		return
	default:
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f(c.ctx)
	}()
}

func (c *Client) redisOptions(addr string, pool int) *redis.Options {
	return &redis.Options{
		Addr: addr, Password: c.cfg.Password, Protocol: 2, TLSConfig: c.cfg.TLS,
		DialTimeout: c.cfg.DialTimeout, ReadTimeout: c.cfg.ReadTimeout, WriteTimeout: c.cfg.WriteTimeout,
		PoolSize: pool, MaxRetries: -1, ContextTimeoutEnabled: true,
		// One dial attempt: go-redis's default (5 attempts, 100 ms apart)
		// made every Get routed to a dead node wait 400 ms; the node's
		// breaker and the origin deal with failures instead.
		DialerRetries:   1,
		DisableIdentity: true,
	}
}

// newBreaker returns a breaker that opens after ConsecutiveFailures: the
// origin's (n nil) or node n's. For a node, a timeout counts as a failure
// only if the node answered nothing for OpenTimeout (it looks dead), not
// while other calls succeed (it is slow: a few reads timing out under load
// must not cut it off); and waiting for one of our own pooled connections,
// or the caller's context ending (callerErr), never counts.
func (c *Client) newBreaker(name string, n *node) *gobreaker.CircuitBreaker[any] {
	return gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:    name,
		Timeout: c.cfg.Breaker.OpenTimeout,
		ReadyToTrip: func(counts gobreaker.Counts) bool {
			return counts.ConsecutiveFailures >= c.cfg.Breaker.ConsecutiveFailures
		},
		IsSuccessful: func(err error) bool {
			ok := err == nil || errors.Is(err, redis.Nil) || errors.Is(err, ErrNotFound) || errors.Is(err, context.Canceled)
			if n == nil {
				return ok
			}
			if ok {
				n.lastOK.Store(c.clock.now())
				return true
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errPoolTimeout) {
				return true // ours, not the node's
			}
			var ne net.Error
			return errors.As(err, &ne) && ne.Timeout() && c.clock.now()-n.lastOK.Load() < int64(c.cfg.Breaker.OpenTimeout)
		},
		OnStateChange: func(name string, from, to gobreaker.State) {
			c.log.Warn("circuit breaker state change", "breaker", name, "from", from.String(), "to", to.String())
		},
	})
}

// callerErr marks err as the caller's when the caller's context ended
// (a read deadline taken from the context fires as an i/o timeout), so the
// node's breaker does not count it.
func callerErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// Get returns the value of key from the nearest tier that has it, loading
// it from the origin on a miss. It returns ErrNotFound when no tier has it.
func (c *Client) Get(ctx context.Context, key string, opts ...ReadOption) (Result, error) {
	var o readOptions
	if len(opts) > 0 {
		o = applyRead(opts)
	}
	if c.l1 != nil && !o.skipL1 {
		if e, ok := c.l1Get(key); ok {
			if e.negative {
				c.stats.negativeHits.Add(1)
				return Result{Tier: TierL1}, ErrNotFound
			}
			c.stats.l1Hits.add(e.hidx)
			if e.expires != 0 && c.cfg.EarlyRefresh > 0 {
				c.maybeRefresh(key, time.Duration(e.expires-c.clock.now()))
			}
			return Result{Value: e.value, Tier: TierL1}, nil
		}
		c.stats.tier[TierL1].miss.Add(1)
	}
	return c.getSlow(ctx, key, o)
}

// Set writes value to the owner node with the TTL given by WithTTL (default
// Config.TTL; 0 means no expiry) and drops key from this process's L1 at
// once, so this client reads its own write.
func (c *Client) Set(ctx context.Context, key string, value []byte, opts ...WriteOption) error {
	o := applyWrite(writeOptions{ttl: c.cfg.TTL}, opts)
	return c.write(ctx, key, func(rdb *redis.Client) error {
		return rdb.Set(ctx, key, value, o.ttl).Err()
	})
}

// Delete removes key from the cluster and from this process's L1 (other
// processes drop it when the invalidation reaches them). The origin is not
// touched.
func (c *Client) Delete(ctx context.Context, key string) error {
	return c.write(ctx, key, func(rdb *redis.Client) error {
		return rdb.Del(ctx, key).Err()
	})
}

// Invalidate is Delete under the name applications use after they changed
// the origin: the next Get loads the new value.
func (c *Client) Invalidate(ctx context.Context, key string) error { return c.Delete(ctx, key) }

func (c *Client) write(ctx context.Context, key string, op func(*redis.Client) error) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	c.invalidateLocal(key)
	defer c.invalidateLocal(key)
	slot := ring.KeySlot(key)
	n := c.router.nodeFor(slot)
	if n == nil {
		return ErrNodeUnavailable
	}
	_, err := n.br.Execute(func() (any, error) {
		return nil, retryBusy(ctx, func() error { return op(n.rdb) })
	})
	if err != nil {
		c.noteRedirect(err)
		return fmt.Errorf("%w: %s: %w", ErrNodeUnavailable, n.addr, err)
	}
	return nil
}

// l1Get returns key's L1 entry if it is valid, fresh, and its node's
// invalidation lease is current (see L1Config.MaxStaleness).
func (c *Client) l1Get(key string) (*entry, bool) {
	now := c.clock.now()
	e, ok := c.l1.get(key, now)
	if !ok {
		return nil, false
	}
	if n := c.router.nodeFor(int(e.slot)); n == nil || !n.inval.leased(now, c.cfg.L1.MaxStaleness) {
		c.stats.l1LeaseLapsed.Add(1)
		return nil, false
	}
	return e, true
}

func (c *Client) invalidateLocal(key string) {
	if c.l1 != nil {
		c.l1.invalidate(key)
	}
}

// noteRedirect refreshes the slot table when a node says it does not own a
// slot (MOVED, ASK, TRYAGAIN, CLUSTERDOWN).
func (c *Client) noteRedirect(err error) {
	if err == nil {
		return
	}
	if isRedirect(err) {
		c.router.refreshAsync()
	}
}
