package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/faults/history"
	"github.com/ringcache/ringcache/internal/launch"
)

// Target is one client of the cluster the workload drives.
type Target interface {
	// Get returns the value of key; found is false on a miss. tier is "l1"
	// when the SDK served it from its in-process tier, else "".
	Get(ctx context.Context, key string) (val string, found bool, tier string, err error)
	Set(ctx context.Context, key, val string) error
	Del(ctx context.Context, key string) error
	Close() error
}

// Loader is the origin an SDK target reads misses through (nil: none).
type Loader func(ctx context.Context, key string) ([]byte, error)

// SDKFactory opens an SDK client (package client, with L1) on seeds. The
// suite cannot import the SDK (imports flow from cmd down), so cmd/cachebench
// passes one in; without it the workload has no SDK clients.
type SDKFactory func(ctx context.Context, seeds []string, load Loader) (Target, error)

// cmdable adapts a go-redis client (plain or cluster) to Target. With
// wait, a write is sent with WAIT 1 on the same connection (pipelined; on
// the key's node for a ClusterClient) and fails unless a replica has it.
type cmdable struct {
	redis.UniversalClient
	wait bool
}

func (c cmdable) Get(ctx context.Context, key string) (string, bool, string, error) {
	v, err := c.UniversalClient.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, "", nil
	}
	return v, err == nil, "", err
}

func (c cmdable) Set(ctx context.Context, key, val string) error {
	if c.wait {
		return c.waited(ctx, key, func(p redis.Pipeliner) { p.Set(ctx, key, val, 0) })
	}
	return c.UniversalClient.Set(ctx, key, val, 0).Err()
}

func (c cmdable) Del(ctx context.Context, key string) error {
	if c.wait {
		return c.waited(ctx, key, func(p redis.Pipeliner) { p.Del(ctx, key) })
	}
	return c.UniversalClient.Del(ctx, key).Err()
}

// waitTimeout bounds WAIT 1 in a write.
const waitTimeout = 200 * time.Millisecond

// waited sends a write and WAIT 1 on one connection.
func (c cmdable) waited(ctx context.Context, key string, write func(redis.Pipeliner)) error {
	var pc redis.Cmdable = c.UniversalClient
	if cc, ok := c.UniversalClient.(*redis.ClusterClient); ok {
		node, err := cc.MasterForKey(ctx, key)
		if err != nil {
			return err
		}
		pc = node
	}
	var wait *redis.Cmd
	cmds, err := pc.Pipelined(ctx, func(p redis.Pipeliner) error {
		write(p)
		wait = p.Do(ctx, "WAIT", 1, waitTimeout.Milliseconds())
		return nil
	})
	if err != nil {
		return err
	}
	if err := cmds[0].Err(); err != nil {
		return err
	}
	if n, err := wait.Int(); err != nil || n < 1 {
		return errors.New("WAIT 1: no replica acknowledged the write in time")
	}
	return nil
}

// opTimeout bounds every client operation of the workload.
const opTimeout = 300 * time.Millisecond

// forwardTarget is a plain go-redis client of the node called name, in
// forward mode; it dials the node's current address, so it follows the
// node across restarts. It does not retry: every error is recorded.
func forwardTarget(c *launch.Cluster, name string, wait bool) Target {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		n := c.Node(name)
		if n == nil {
			return nil, fmt.Errorf("faults: no node %s", name)
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", n.Addr)
	}
	return cmdable{redis.NewClient(&redis.Options{Addr: name, Dialer: dial, MaxRetries: -1, Protocol: 2,
		DialTimeout: opTimeout, ReadTimeout: opTimeout, WriteTimeout: opTimeout, PoolSize: 4}), wait}
}

// clusterTarget is a go-redis ClusterClient seeded with every node. Without
// retries go-redis never reloads its slot map after a node dies (it only
// does on -MOVED), so like an application would, it reloads the map after
// a connection error.
func clusterTarget(seeds []string, wait bool) Target {
	return clusterCmdable{cmdable{redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, MaxRetries: -1,
		MaxRedirects: 3, Protocol: 2, DialTimeout: opTimeout, ReadTimeout: opTimeout, WriteTimeout: opTimeout,
		PoolSize: 4}), wait}}
}

type clusterCmdable struct{ cmdable }

func (c clusterCmdable) reload(ctx context.Context, err error) error {
	switch ErrKind(err) {
	case "refused", "conn-reset", "timeout":
		c.UniversalClient.(*redis.ClusterClient).ReloadState(ctx)
	}
	return err
}

func (c clusterCmdable) Get(ctx context.Context, key string) (string, bool, string, error) {
	v, found, tier, err := c.cmdable.Get(ctx, key)
	return v, found, tier, c.reload(ctx, err)
}

func (c clusterCmdable) Set(ctx context.Context, key, val string) error {
	return c.reload(ctx, c.cmdable.Set(ctx, key, val))
}

func (c clusterCmdable) Del(ctx context.Context, key string) error {
	return c.reload(ctx, c.cmdable.Del(ctx, key))
}

// ErrKind names the kind of a client error for the report.
func ErrKind(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, k := range []struct{ sub, kind string }{
		{"TRYAGAIN", "tryagain"}, {"WAIT 1", "not-replicated"}, {"CLUSTERDOWN", "clusterdown"}, {"MOVED", "moved"},
		{"breaker is open", "breaker-open"}, {"origin unavailable", "origin-unavailable"},
		{"connection refused", "refused"}, {"connection reset", "conn-reset"}, {"EOF", "conn-reset"},
		{"pool timeout", "pool-timeout"}, {"timeout", "timeout"}, {"deadline exceeded", "timeout"},
		{"node unavailable", "node-unavailable"},
	} {
		if strings.Contains(msg, k.sub) {
			return k.kind
		}
	}
	return "other"
}

// Mix is the workload's operation mix and pace.
type Mix struct {
	Keys      int     // bounded key set "k:0".."k:N-1"
	ReadFrac  float64 // share of reads; the rest are writes, DelFrac of them deletes
	DelFrac   float64
	Rate      int // operations per second per worker
	Workers   int // workers per target
	ROKeys    int // read-only keys "ro:i" served by the origin (origin-outage); 0: none
	ROReadPct float64
}

// DefaultMix: 64 keys, 75% reads, 10% of writes are deletes, two workers
// per target at 150 op/s each.
func DefaultMix() Mix {
	return Mix{Keys: 64, ReadFrac: 0.75, DelFrac: 0.1, Rate: 150, Workers: 2}
}

type worker struct {
	name string
	t    Target
	mix  Mix
	rec  *history.Recorder
	seq  int
}

// run issues operations at the mix's rate until ctx ends.
func (w *worker) run(ctx context.Context) {
	tick := time.NewTicker(time.Second / time.Duration(w.mix.Rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			w.one(ctx)
		}
	}
}

func (w *worker) one(ctx context.Context) {
	key := fmt.Sprintf("k:%d", rand.IntN(w.mix.Keys))
	op := history.Op{Client: w.name, Key: key, Kind: history.Read}
	switch r := rand.Float64(); {
	case r < w.mix.ReadFrac && w.mix.ROKeys > 0 && rand.Float64() < w.mix.ROReadPct:
		op.Key = fmt.Sprintf("ro:%d", rand.IntN(w.mix.ROKeys))
	case r < w.mix.ReadFrac:
	case r < w.mix.ReadFrac+(1-w.mix.ReadFrac)*w.mix.DelFrac:
		op.Kind = history.Delete
	default:
		op.Kind = history.Write
		w.seq++
		op.Value = fmt.Sprintf("%s-%d", w.name, w.seq)
	}
	octx, cancel := context.WithTimeout(ctx, opTimeout*3)
	defer cancel()
	op.Invoke = time.Now()
	var err error
	switch op.Kind {
	case history.Read:
		op.Value, op.Found, op.Tier, err = w.t.Get(octx, op.Key)
	case history.Write:
		err = w.t.Set(octx, op.Key, op.Value)
	case history.Delete:
		err = w.t.Del(octx, op.Key)
	}
	op.Complete = time.Now()
	if ctx.Err() != nil && err != nil && op.Kind == history.Read {
		return // the run ended mid-read: not a fault's error
	}
	// A write the run's end interrupted is recorded as failed (its outcome
	// is unknown): it may have taken effect, and a read may see it.
	op.Err = ErrKind(err)
	w.rec.Add(op)
}

// Workload runs workers on targets until Stop.
type Workload struct {
	rec     *history.Recorder
	targets []Target
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// StartWorkload starts mix.Workers workers on each named target.
func StartWorkload(rec *history.Recorder, targets map[string]Target, mix Mix) *Workload {
	ctx, cancel := context.WithCancel(context.Background())
	wl := &Workload{rec: rec, cancel: cancel}
	for name, t := range targets {
		wl.targets = append(wl.targets, t)
		for i := range mix.Workers {
			w := &worker{name: fmt.Sprintf("%s-%d", name, i), t: t, mix: mix, rec: rec}
			wl.wg.Add(1)
			go func() { defer wl.wg.Done(); w.run(ctx) }()
		}
	}
	return wl
}

// Stop stops the workers, waits for them and closes the targets.
func (wl *Workload) Stop() error {
	wl.cancel()
	wl.wg.Wait()
	var errs []error
	for _, t := range wl.targets {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}
