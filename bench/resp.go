package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RESPConfig configures the resp target. DefaultRESPConfig suits a cache on
// a LAN or loopback.
type RESPConfig struct {
	// Addr is a RESP server address ("127.0.0.1:7379"). Required.
	Addr string
	// Label names the target in results (default Addr).
	Label string
	// Cluster selects go-redis's ClusterClient: "auto" (default) uses it when
	// CLUSTER SLOTS answers with more than one node, "yes" always, "no" never.
	Cluster string
	// PoolSize is the connection pool size per node; set it to the
	// concurrency (default 16).
	PoolSize int
	// DialTimeout (default 1 s), ReadTimeout and WriteTimeout (default
	// 500 ms): a cache hop should fail fast, not wait go-redis's 3–5 s.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// ClusterReload is how often the cluster client re-reads CLUSTER SLOTS
	// without being told to by a MOVED (0: go-redis's default, 60 s). A
	// client routing to a killed node gets connection errors, never a MOVED,
	// so this bounds how long it keeps trying the dead node.
	ClusterReload time.Duration
	// FillOnMiss, when positive, makes a read that misses SET the key to a
	// value of that many bytes (cache-aside: the application loads the
	// record and caches it). The read still counts as a miss. 0: off.
	FillOnMiss int
}

// DefaultRESPConfig returns the defaults for addr.
func DefaultRESPConfig(addr string) RESPConfig {
	return RESPConfig{Addr: addr, Cluster: "auto", PoolSize: 16, DialTimeout: time.Second,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}
}

// RESP is the resp target: GET for reads, SET (with PX when a TTL is set)
// for updates and inserts, DEL for deletes, GET then SET for
// read-modify-write.
type RESP struct {
	c    redis.UniversalClient
	info TargetInfo
	fill []byte // value SET on a read miss (nil: no fill)
}

var (
	_ Target    = (*RESP)(nil)
	_ Loader    = (*RESP)(nil)
	_ Describer = (*RESP)(nil)
)

// NewRESP connects to cfg.Addr (PING), detects a cluster, and returns the
// target.
func NewRESP(ctx context.Context, cfg RESPConfig) (*RESP, error) {
	if cfg.Addr == "" {
		return nil, errors.New("bench: resp target needs an address")
	}
	if cfg.PoolSize < 1 || cfg.DialTimeout <= 0 || cfg.ReadTimeout <= 0 || cfg.WriteTimeout <= 0 || cfg.FillOnMiss < 0 {
		return nil, fmt.Errorf("bench: resp pool size and timeouts must be positive, fill size not negative")
	}
	if cfg.Label == "" {
		cfg.Label = cfg.Addr
	}
	plain := redis.NewClient(plainOptions(cfg, cfg.Addr))
	nodes, err := clusterNodes(ctx, plain)
	if err != nil {
		plain.Close()
		return nil, err
	}
	t := &RESP{c: plain, info: TargetInfo{Kind: "resp", Label: cfg.Label, Addrs: []string{cfg.Addr}}}
	if cfg.FillOnMiss > 0 {
		t.fill = bytes.Repeat([]byte{'f'}, cfg.FillOnMiss)
	}
	if useCluster(cfg.Cluster, len(nodes)) {
		plain.Close()
		t.c = redis.NewClusterClient(clusterOptions(cfg))
		t.info.Cluster, t.info.Addrs = true, nodes
	}
	return t, nil
}

func useCluster(mode string, nodes int) bool {
	return mode == "yes" || (mode == "auto" || mode == "") && nodes > 1
}

func plainOptions(cfg RESPConfig, addr string) *redis.Options {
	return &redis.Options{Addr: addr, DialTimeout: cfg.DialTimeout, ReadTimeout: cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout, PoolSize: cfg.PoolSize, MinIdleConns: 0,
		PoolTimeout: cfg.ReadTimeout + cfg.WriteTimeout, MaxRetries: -1, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}}
}

func clusterOptions(cfg RESPConfig) *redis.ClusterOptions {
	return &redis.ClusterOptions{Addrs: []string{cfg.Addr}, DialTimeout: cfg.DialTimeout,
		ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, PoolSize: cfg.PoolSize,
		PoolTimeout: cfg.ReadTimeout + cfg.WriteTimeout, MaxRetries: -1, DisableIdentity: true,
		ClusterStateReloadInterval: cfg.ClusterReload,
		MaintNotificationsConfig:   &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}}
}

// clusterNodes PINGs the server and returns the distinct node addresses in
// its CLUSTER SLOTS reply (none when cluster support is off).
func clusterNodes(ctx context.Context, c *redis.Client) ([]string, error) {
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("bench: PING %s: %w", c.Options().Addr, err)
	}
	//lint:ignore SA1019 ClusterClient routes by CLUSTER SLOTS, so detection must ask the same.
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, nil // not a cluster (or no CLUSTER command): plain client
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range slots {
		for _, n := range s.Nodes {
			if !seen[n.Addr] {
				seen[n.Addr] = true
				out = append(out, n.Addr)
			}
		}
	}
	return out, nil
}

// Info implements Describer.
func (t *RESP) Info() TargetInfo { return t.info }

// Do implements Target.
func (t *RESP) Do(ctx context.Context, op *Op) (Outcome, error) {
	switch op.Type {
	case OpRead:
		return t.get(ctx, op.Key)
	case OpDelete:
		return OK, t.c.Del(ctx, op.Key).Err()
	case OpRMW:
		out, err := t.get(ctx, op.Key)
		if err != nil {
			return out, err
		}
		return out, t.c.Set(ctx, op.Key, op.Value, op.TTL).Err()
	}
	return OK, t.c.Set(ctx, op.Key, op.Value, op.TTL).Err()
}

func (t *RESP) get(ctx context.Context, key string) (Outcome, error) {
	err := t.c.Get(ctx, key).Err()
	switch {
	case err == nil:
		return Hit, nil
	case errors.Is(err, redis.Nil):
		if t.fill != nil {
			return Miss, t.c.Set(ctx, key, t.fill, 0).Err()
		}
		return Miss, nil
	}
	return Miss, err
}

// loadBatch is the pipeline depth of Load.
const loadBatch = 256

// loadAttempts is how often Load tries a batch: loading is not measured,
// the SETs are idempotent, and a cluster client's first batch also reads
// the (large) slot table under the target's short read timeout.
const loadAttempts = 3

// Load implements Loader with pipelined SETs of loadBatch records.
func (t *RESP) Load(ctx context.Context, g *Generator, from, to int64) error {
	for i := from; i < to; i += loadBatch {
		var err error
		for range loadAttempts {
			p := t.c.Pipeline()
			for j := i; j < min(i+loadBatch, to); j++ {
				p.Set(ctx, KeyName(j), g.LoadValue(), g.w.cfg.TTL)
			}
			if _, err = p.Exec(ctx); err == nil || ctx.Err() != nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("bench: load records %d..%d: %w", i, min(i+loadBatch, to), err)
		}
	}
	return nil
}

// Probe returns a Probe over the target's nodes.
func (t *RESP) Probe(pids map[string]int) *Probe {
	return &Probe{Addrs: t.info.Addrs, PIDs: pids}
}

// Close implements Target.
func (t *RESP) Close() error { return t.c.Close() }
