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
)

// SDKEnvConfig is where the sdk target runs: the cluster it reads from and
// the origin behind it.
type SDKEnvConfig struct {
	// Seeds are cluster nodes answering CLUSTER SHARDS. Empty: the harness
	// starts a one-node cluster-mode redis-server owning every slot (to be
	// replaced by a ringcache node once cacheserver answers CLUSTER SHARDS).
	Seeds []string
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
	// read from the origin again).
	ClusterMaxMemory int64
	// Timeout is the SDK's per-hop timeout (0: the client's default).
	Timeout time.Duration
	// Logger receives the client's logs (nil: discarded).
	Logger *slog.Logger
}

// sdkEnv is a started SDKEnvConfig.
type sdkEnv struct {
	cfg     SDKEnvConfig
	cluster *Process
	origin  *Origin
}

func startSDKEnv(ctx context.Context, cfg SDKEnvConfig, w *Workload) (*sdkEnv, error) {
	e := &sdkEnv{cfg: cfg}
	if len(cfg.Seeds) == 0 {
		if cfg.Dir == "" {
			return nil, errors.New("bench: sdk needs seeds or a directory to start a cluster in")
		}
		bin := cfg.RedisBin
		if bin == "" {
			bin = "redis-server"
		}
		var extra []string
		if cfg.ClusterMaxMemory > 0 {
			extra = []string{"--maxmemory", strconv.FormatInt(cfg.ClusterMaxMemory, 10), "--maxmemory-policy", "allkeys-lfu"}
		}
		p, err := StartClusterRedis(ctx, bin, filepath.Join(cfg.Dir, "servers"), extra...)
		if err != nil {
			return nil, err
		}
		e.cluster, e.cfg.Seeds, e.cfg.Flush = p, []string{p.Addr}, true
	}
	o, err := OpenOrigin(ctx, cfg.Origin, w)
	if err != nil {
		e.close()
		return nil, err
	}
	e.origin = o
	return e, nil
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
	if e.cluster != nil {
		e.cluster.Stop(5 * time.Second)
	}
	return err
}

// note describes the cluster for reports.
func (e *sdkEnv) note() string {
	if e.cluster != nil {
		mem := "no maxmemory"
		if m := e.cfg.ClusterMaxMemory; m > 0 {
			mem = fmt.Sprintf("maxmemory %d bytes, allkeys-lfu", m)
		}
		return fmt.Sprintf("sdk cluster: one-node cluster-mode redis-server at %s (%s) started by the harness (a stand-in until cacheserver answers CLUSTER SHARDS)", e.cluster.Addr, mem)
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
