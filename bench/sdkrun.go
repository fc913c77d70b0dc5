package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/launch"
)

// SDKEnvConfig is where the sdk target runs: the cluster it reads from and
// the origin behind it.
type SDKEnvConfig struct {
	// Seeds are cluster nodes answering CLUSTER SHARDS. Empty: the harness
	// starts a ringcache cluster of ClusterNodes CacheserverBin processes
	// (internal/launch, --redirect forward), or, when CacheserverBin is
	// empty, a one-node cluster-mode redis-server owning every slot.
	Seeds []string
	// CacheserverBin and ClusterNodes (default 3) describe the ringcache
	// cluster the harness starts.
	CacheserverBin string
	ClusterNodes   int
	// Flush sends FLUSHALL to the seeds before each run, so each starts
	// cold. Always done when the harness started the cluster.
	Flush bool
	// Origin is the system of record, filled with the workload's records.
	Origin OriginConfig
	// RedisBin starts the cluster (default "redis-server"); Dir holds its
	// files. Required when Seeds is empty.
	RedisBin, Dir string
	// ClusterMaxMemory is the started cluster's maxmemory in bytes, with
	// allkeys-lfu (0: unlimited, so after its first load a key is never
	// read from the origin again); a ringcache cluster's nodes get an equal
	// share each.
	ClusterMaxMemory int64
	// Timeout is the SDK's per-hop timeout (0: the client's default).
	Timeout time.Duration
	// Logger receives the client's logs (nil: discarded).
	Logger *slog.Logger
}

// sdkEnv is a started SDKEnvConfig.
type sdkEnv struct {
	cfg     SDKEnvConfig
	started string // what the harness started ("" for seeds)
	stop    func() // stops it
	origin  *Origin
}

func startSDKEnv(ctx context.Context, cfg SDKEnvConfig, w *Workload) (*sdkEnv, error) {
	e := &sdkEnv{cfg: cfg, stop: func() {}}
	if len(cfg.Seeds) == 0 {
		if cfg.Dir == "" {
			return nil, errors.New("bench: sdk needs seeds or a directory to start a cluster in")
		}
		if err := e.startCluster(ctx); err != nil {
			return nil, err
		}
		e.cfg.Flush = true
	}
	o, err := OpenOrigin(ctx, cfg.Origin, w)
	if err != nil {
		e.close()
		return nil, err
	}
	e.origin = o
	return e, nil
}

// startCluster starts the ringcache cluster (or the redis-server stand-in)
// and sets the seeds to every node.
func (e *sdkEnv) startCluster(ctx context.Context) error {
	mem := "no maxmemory"
	if m := e.cfg.ClusterMaxMemory; m > 0 {
		mem = fmt.Sprintf("maxmemory %d bytes, allkeys-lfu", m)
	}
	dir := filepath.Join(e.cfg.Dir, "servers")
	if e.cfg.CacheserverBin == "" {
		bin := e.cfg.RedisBin
		if bin == "" {
			bin = "redis-server"
		}
		var extra []string
		if e.cfg.ClusterMaxMemory > 0 {
			extra = []string{"--maxmemory", strconv.FormatInt(e.cfg.ClusterMaxMemory, 10), "--maxmemory-policy", "allkeys-lfu"}
		}
		p, err := StartClusterRedis(ctx, bin, dir, extra...)
		if err != nil {
			return err
		}
		e.cfg.Seeds, e.stop = []string{p.Addr}, func() { p.Stop(5 * time.Second) }
		e.started = fmt.Sprintf("one-node cluster-mode redis-server at %s (%s)", p.Addr, mem)
		return nil
	}
	n := e.cfg.ClusterNodes
	if n == 0 {
		n = 3
	}
	var extra []string
	if e.cfg.ClusterMaxMemory > 0 {
		extra = []string{"--maxmemory", strconv.FormatInt(e.cfg.ClusterMaxMemory/int64(n), 10), "--maxmemory-policy", "allkeys-lfu"}
		mem += ", split equally over the nodes"
	}
	c, err := StartRingcacheCluster(ctx, e.cfg.CacheserverBin, dir, launch.Options{N: n, Redirect: "forward", Args: extra})
	if err != nil {
		return err
	}
	e.cfg.Seeds, e.stop = c.Addrs(), c.Close
	e.started = fmt.Sprintf("%d-node ringcache cluster (%s, forward) at %s (%s)", n, e.cfg.CacheserverBin, strings.Join(e.cfg.Seeds, ","), mem)
	return nil
}

// target flushes the cluster when configured and returns a new sdk target.
func (e *sdkEnv) target(ctx context.Context, l1 bool, pool int) (*SDK, error) {
	if e.cfg.Flush {
		if err := FlushNodes(ctx, e.cfg.Seeds); err != nil {
			return nil, err
		}
	}
	label := SDKLabel(l1) + "-" + e.origin.Kind()
	return NewSDK(ctx, SDKConfig{Seeds: e.cfg.Seeds, Label: label, L1: l1, PoolSize: pool,
		Origin: e.origin, Timeout: e.cfg.Timeout, Logger: e.cfg.Logger})
}

func (e *sdkEnv) close() error {
	var err error
	if e.origin != nil {
		err = e.origin.Close()
	}
	e.stop()
	return err
}

// note describes the cluster for reports.
func (e *sdkEnv) note() string {
	if e.started != "" {
		return "sdk cluster: " + e.started + " started by the harness"
	}
	return "sdk cluster seeds: " + strings.Join(e.cfg.Seeds, ",")
}

// SDKRunConfig is one workload through the sdk target with L1 on and/or off.
type SDKRunConfig struct {
	Env      SDKEnvConfig
	Workload WorkloadConfig
	Load     LoadConfig
	// L1 lists the modes to run, in order (true: L1 on).
	L1 []bool
	// Progress receives live progress (nil: quiet).
	Progress io.Writer
}

// RunSDK starts the environment, fills the origin, and runs the workload
// once per L1 mode, each from a cold cluster when Env.Flush (or the harness
// started the cluster). The returned note names the cluster used.
func RunSDK(ctx context.Context, cfg SDKRunConfig) (results []*Result, note string, err error) {
	if err := cfg.Load.Validate(); err != nil {
		return nil, "", err
	}
	if len(cfg.L1) == 0 {
		return nil, "", errors.New("bench: sdk run needs at least one L1 mode")
	}
	w, err := NewWorkload(cfg.Workload)
	if err != nil {
		return nil, "", err
	}
	env, err := startSDKEnv(ctx, cfg.Env, w)
	if err != nil {
		return nil, "", err
	}
	defer env.close()
	for _, l1 := range cfg.L1 {
		res, err := runSDKOnce(ctx, env, w, cfg, l1)
		if err != nil {
			return results, env.note(), err
		}
		results = append(results, res)
	}
	return results, env.note(), nil
}

func runSDKOnce(ctx context.Context, env *sdkEnv, w *Workload, cfg SDKRunConfig, l1 bool) (*Result, error) {
	t, err := env.target(ctx, l1, cfg.Load.Concurrency)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	// Inserts (workload D) continue after the records; every mode starts
	// from the same key space.
	w, err = NewWorkload(w.Config())
	if err != nil {
		return nil, err
	}
	probe := &Probe{Addrs: env.cfg.Seeds}
	return Run(ctx, t, w, cfg.Load, RunOptions{Progress: cfg.Progress, Probe: probe})
}
