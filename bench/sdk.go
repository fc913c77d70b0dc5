package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/client"
)

// SDKConfig configures the sdk target: the ringcache Go client (package
// client) reading through to an Origin.
type SDKConfig struct {
	// Seeds are cluster node addresses answering CLUSTER SHARDS. Required.
	Seeds []string
	// Label names the target in results (default "sdk-l1" or "sdk-nol1").
	Label string
	// L1 turns the in-process tier on (default false: every Get goes to the
	// cluster).
	L1 bool
	// PoolSize is the connection pool size per node; set it to the
	// concurrency (default: the client's, 16).
	PoolSize int
	// Origin is the loader behind the cluster. Required; the caller owns it
	// (Close does not close it).
	Origin *Origin
	// Timeout is the client's dial, read and write timeout per node hop
	// (0: the client's default, 50ms). A hop that times out is a cluster
	// error: the Get goes to the origin, and five in a row open the node's
	// breaker for a second.
	Timeout time.Duration
	// Logger receives the client's logs (nil: discarded).
	Logger *slog.Logger
}

// SDK is the sdk target: read → Get (a hit when L1 or the cluster answered,
// a miss when the origin did or nothing had the key), update/insert → Set
// with op.TTL, delete → Delete, rmw → Get then Set.
type SDK struct {
	c      *client.Client
	origin *Origin
	info   TargetInfo
	served [4]atomic.Int64 // reads answered, by client.Tier
}

var (
	_ Target         = (*SDK)(nil)
	_ Describer      = (*SDK)(nil)
	_ TierReporter   = (*SDK)(nil)
	_ OriginReporter = (*SDK)(nil)
)

// OriginReporter is implemented by targets that read through to an origin;
// Run turns the difference over the run into Result.OriginQueries and
// Result.OriginQPS.
type OriginReporter interface {
	OriginQueries() int64
}

// NewSDK creates the client (reading the slot table from a seed).
func NewSDK(ctx context.Context, cfg SDKConfig) (*SDK, error) {
	if len(cfg.Seeds) == 0 || cfg.Origin == nil {
		return nil, errors.New("bench: sdk target needs seeds and an origin")
	}
	cc := client.DefaultConfig()
	cc.Seeds, cc.L1.Disabled, cc.Loader, cc.Logger = cfg.Seeds, !cfg.L1, cfg.Origin, cfg.Logger
	if cc.Logger == nil {
		cc.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PoolSize > 0 {
		cc.PoolSize = cfg.PoolSize
	}
	if cfg.Timeout > 0 {
		cc.DialTimeout, cc.ReadTimeout, cc.WriteTimeout = cfg.Timeout, cfg.Timeout, cfg.Timeout
	}
	c, err := client.New(ctx, cc)
	if err == nil {
		err = awaitCluster(ctx, c, connectWait)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: sdk client (seeds %s): %w", strings.Join(cfg.Seeds, ","), err)
	}
	if cfg.Label == "" {
		cfg.Label = SDKLabel(cfg.L1)
	}
	info := TargetInfo{Kind: "sdk", Label: cfg.Label, Addrs: append([]string(nil), cfg.Seeds...), Cluster: true}
	return &SDK{c: c, origin: cfg.Origin, info: info}, nil
}

// connectWait bounds how long NewSDK waits for the SDK to read a slot
// table. The SDK itself starts without a cluster (degraded mode), but a
// benchmark of an unreachable cluster would silently measure the origin.
const connectWait = 5 * time.Second

// awaitCluster waits until c has read a slot table, or closes c and fails.
func awaitCluster(ctx context.Context, c *client.Client, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !c.Health().Connected {
		select {
		case <-ctx.Done():
			c.Close()
			return fmt.Errorf("no seed answered within %v", d)
		case <-tick.C:
		}
	}
	return nil
}

// SDKLabel is the default label of an sdk target with L1 on or off.
func SDKLabel(l1 bool) string {
	if l1 {
		return "sdk-l1"
	}
	return "sdk-nol1"
}

// Info implements Describer.
func (t *SDK) Info() TargetInfo { return t.info }

// Client returns the underlying SDK client.
func (t *SDK) Client() *client.Client { return t.c }

// Do implements Target.
func (t *SDK) Do(ctx context.Context, op *Op) (Outcome, error) {
	switch op.Type {
	case OpRead:
		return t.get(ctx, op.Key)
	case OpDelete:
		return OK, t.c.Delete(ctx, op.Key)
	case OpRMW:
		out, err := t.get(ctx, op.Key)
		if err != nil {
			return out, err
		}
		return out, t.c.Set(ctx, op.Key, op.Value, client.WithTTL(op.TTL))
	}
	return OK, t.c.Set(ctx, op.Key, op.Value, client.WithTTL(op.TTL))
}

func (t *SDK) get(ctx context.Context, key string) (Outcome, error) {
	res, err := t.c.Get(ctx, key)
	if err == nil || errors.Is(err, client.ErrNotFound) {
		t.served[res.Tier&3].Add(1)
	}
	switch {
	case errors.Is(err, client.ErrNotFound):
		return Miss, nil
	case err != nil:
		return Miss, err
	case res.Tier == client.TierL1 || res.Tier == client.TierRemote:
		return Hit, nil
	}
	return Miss, nil
}

// Tiers implements TierReporter: the counters of client.Stats for "l1",
// "cluster" (the owner node) and "origin" (hits = values loaded, misses =
// not found), and the reads each answered (from Result.Tier).
func (t *SDK) Tiers() []TierStats {
	s := t.c.Stats()
	conv := func(name string, ts client.TierStats, tier client.Tier) TierStats {
		return TierStats{Tier: name, Hits: ts.Hits, Misses: ts.Misses, Errors: ts.Errors,
			Served: t.served[tier].Load()}
	}
	return []TierStats{conv("l1", s.L1, client.TierL1), conv("cluster", s.Remote, client.TierRemote),
		conv("origin", s.Origin, client.TierOrigin)}
}

// OriginQueries implements OriginReporter.
func (t *SDK) OriginQueries() int64 { return t.origin.Queries() }

// Close implements Target: it closes the client, not the origin.
func (t *SDK) Close() error { return t.c.Close() }
