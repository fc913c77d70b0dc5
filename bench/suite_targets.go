package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ringcache/ringcache/internal/launch"
)

// suiteTarget is one system in the suite.
type suiteTarget struct {
	label  string
	target *RESP
	probe  *Probe
	stop   func() // stops what the suite started (no-op for a running server)
}

// suiteTargetSpec says how to reach or start one suite target.
type suiteTargetSpec struct {
	label, addr string
	cluster     bool
	// start starts the server(s) and returns an address, the pids by
	// address, and the stop function.
	start func() (string, map[string]int, func(), error)
}

// suiteTargetSpecs lists the suite's targets in order.
func suiteTargetSpecs(ctx context.Context, cfg SuiteConfig) []suiteTargetSpec {
	dir := filepath.Join(cfg.Out, "servers")
	specs := []suiteTargetSpec{
		{label: "redis", addr: cfg.RedisAddr, start: func() (string, map[string]int, func(), error) {
			return processStart(StartRedis(ctx, cfg.RedisBin, dir))
		}},
		{label: "ringcache", addr: cfg.RingcacheAddr, start: func() (string, map[string]int, func(), error) {
			return processStart(StartCacheserver(ctx, cfg.CacheserverBin, dir))
		}},
	}
	if cfg.ClusterNodes > 0 || cfg.ClusterAddr != "" {
		specs = append(specs, suiteTargetSpec{label: fmt.Sprintf("ringcache-%dn", cfg.ClusterNodes), addr: cfg.ClusterAddr,
			cluster: true, start: func() (string, map[string]int, func(), error) {
				return startSuiteCluster(ctx, cfg.CacheserverBin, filepath.Join(dir, "cluster"), cfg.ClusterNodes)
			}})
		if cfg.ClusterAddr != "" {
			specs[len(specs)-1].label = "ringcache-cluster"
		}
	}
	return specs
}

func startSuiteTargets(ctx context.Context, cfg SuiteConfig, specs []suiteTargetSpec, rep *SuiteReport, prog *suiteProgress) []*suiteTarget {
	var out []*suiteTarget
	for _, s := range specs {
		what := "starting " + s.label
		if s.addr != "" {
			what = "connecting to " + s.label + " at " + s.addr
		}
		prog.step("start "+s.label, what)
		t, err := startSuiteTarget(ctx, cfg, s)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s not measured: %v", s.label, err))
			cfg.Logger.Warn("suite target skipped", "target", s.label, "err", err)
			continue
		}
		out = append(out, t)
	}
	return out
}

func processStart(p *Process, err error) (string, map[string]int, func(), error) {
	if err != nil {
		return "", nil, nil, err
	}
	return p.Addr, map[string]int{p.Addr: p.PID()}, func() { p.Stop(5 * time.Second) }, nil
}

// startSuiteCluster starts n cacheserver nodes with --redirect moved (a
// cluster client never needs a forward).
func startSuiteCluster(ctx context.Context, bin, dir string, n int) (string, map[string]int, func(), error) {
	c, err := StartRingcacheCluster(ctx, bin, dir, launch.Options{N: n, Redirect: "moved"})
	if err != nil {
		return "", nil, nil, err
	}
	pids := map[string]int{}
	for _, nd := range c.Nodes() {
		pids[nd.Addr] = nd.Pid()
	}
	return c.Nodes()[0].Addr, pids, c.Close, nil
}

func startSuiteTarget(ctx context.Context, cfg SuiteConfig, s suiteTargetSpec) (*suiteTarget, error) {
	st := &suiteTarget{label: s.label, stop: func() {}}
	addr, pids := s.addr, map[string]int{}
	if addr == "" {
		var err error
		if addr, pids, st.stop, err = s.start(); err != nil {
			return nil, err
		}
	}
	rc := DefaultRESPConfig(addr)
	rc.Label, rc.PoolSize, rc.Cluster = s.label, max(cfg.Closed.Concurrency, cfg.Sweep.Concurrency), "auto"
	if s.cluster {
		rc.Cluster = "yes"
	}
	t, err := NewRESP(ctx, rc)
	if err != nil {
		st.stop()
		return nil, err
	}
	st.target, st.probe = t, t.Probe(pids)
	return st, nil
}

func closeSuiteTargets(ts []*suiteTarget) {
	for _, t := range ts {
		t.target.Close()
		t.stop()
	}
}
