package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ringcache/ringcache/bench"
)

// envFlags describe the sdk target's cluster and origin.
type envFlags struct {
	seeds, l1, redisBin, dir string
	cacheserverBin           string
	clusterNodes             int
	flush                    bool
	timeout                  time.Duration
	clusterMem               int64
	origin                   bench.OriginConfig
}

func (f *envFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.seeds, "seeds", "", "cluster node addresses answering CLUSTER SHARDS, comma-separated (default: start a ringcache cluster)")
	fs.StringVar(&f.cacheserverBin, "cacheserver-bin", "bin/cacheserver", "cacheserver binary of a started cluster (empty: a one-node cluster-mode redis-server instead)")
	fs.IntVar(&f.clusterNodes, "cluster-nodes", 3, "nodes of a started ringcache cluster")
	fs.StringVar(&f.l1, "l1", "both", "L1 tier: on | off | both (on, then off)")
	fs.BoolVar(&f.flush, "flush", false, "FLUSHALL the seeds before each run (always done on a cluster the harness started)")
	fs.StringVar(&f.redisBin, "redis-bin", "redis-server", "redis-server binary for a redis origin (or the cluster when -cacheserver-bin is empty)")
	fs.StringVar(&f.origin.Kind, "origin", "sqlite", "origin: sqlite (temporary file) | redis | postgres")
	fs.StringVar(&f.origin.Addr, "origin-addr", "", "redis origin address (default: start a redis-server)")
	fs.StringVar(&f.origin.DSN, "origin-dsn", "", "PostgreSQL DSN (origin postgres)")
	fs.DurationVar(&f.origin.Latency, "origin-latency", 0, "latency added to every origin query, e.g. 1ms")
	fs.BoolVar(&f.origin.NoPreload, "origin-no-load", false, "do not write the records to the origin (already there)")
	fs.Int64Var(&f.clusterMem, "cluster-maxmemory", 0, "maxmemory in bytes (allkeys-lfu) of a cluster the harness starts (0: unlimited)")
	fs.DurationVar(&f.timeout, "node-timeout", 0, "SDK dial/read/write timeout per node hop (default: the client's, 50ms)")
	fs.StringVar(&f.dir, "out", "", "directory for results and started servers' files (default: a temporary one)")
}

// config returns the environment and the L1 modes; dir is where started
// servers live.
func (f *envFlags) config(dir string) (bench.SDKEnvConfig, []bool, error) {
	modes, err := parseL1Modes(f.l1)
	if err != nil {
		return bench.SDKEnvConfig{}, nil, err
	}
	o := f.origin
	o.RedisBin = f.redisBin
	if o.Kind == "redis" && o.Addr == "" {
		o.Dir = filepath.Join(dir, "origin")
	}
	env := bench.SDKEnvConfig{Seeds: parseList(f.seeds), Flush: f.flush, Origin: o, RedisBin: f.redisBin, Dir: dir,
		Timeout: f.timeout, ClusterMaxMemory: f.clusterMem, CacheserverBin: f.cacheserverBin, ClusterNodes: f.clusterNodes}
	return env, modes, o.Validate()
}

// parseL1Modes parses -l1: on, off or both.
func parseL1Modes(s string) ([]bool, error) {
	switch s {
	case "on":
		return []bool{true}, nil
	case "off":
		return []bool{false}, nil
	case "both":
		return []bool{true, false}, nil
	}
	return nil, fmt.Errorf("-l1 %q: want on, off or both", s)
}

// parseList splits a comma-separated list, dropping empty items and spaces.
func parseList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// workDir returns dir, or a new temporary directory and its removal.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", "cachebench-")
	return tmp, func() { os.RemoveAll(tmp) }, err
}

func cmdSDK(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sdk", flag.ContinueOnError)
	var w workloadFlags
	var l loadFlags
	var e envFlags
	w.register(fs)
	l.register(fs)
	e.register(fs)
	setDefault(fs, "workload", "c")
	if err := fs.Parse(args); err != nil {
		return err
	}
	wc, err := w.config()
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(e.dir)
	if err != nil {
		return err
	}
	defer cleanup()
	env, modes, err := e.config(dir)
	if err != nil {
		return err
	}
	rs, note, err := bench.RunSDK(ctx, bench.SDKRunConfig{Env: env, Workload: wc, Load: l.config(), L1: modes, Progress: progressWriter()})
	if note != "" {
		fmt.Fprintln(out, note)
	}
	_ = bench.WriteSummary(out, rs)
	for _, r := range rs {
		if e.dir != "" {
			err = errors.Join(err, writeRunOutput(e.dir, r))
		}
	}
	return err
}

func cmdOffload(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("offload", flag.ContinueOnError)
	var e envFlags
	cfg := bench.DefaultOffload("")
	e.register(fs)
	fs.Int64Var(&cfg.Records, "records", cfg.Records, "keys in the origin")
	fs.Int64Var(&cfg.Gets, "gets", cfg.Gets, "Gets in the trace (first half cold, second half warm)")
	fs.Float64Var(&cfg.Theta, "theta", cfg.Theta, "Zipfian constant, 0 < θ < 1")
	fs.IntVar(&cfg.ValueSize, "value-size", cfg.ValueSize, "value size in bytes")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "goroutines replaying the trace")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, cleanup, err := workDir(e.dir)
	if err != nil {
		return err
	}
	defer cleanup()
	if cfg.Env, cfg.L1, err = e.config(dir); err != nil {
		return err
	}
	runs, note, err := bench.RunOffload(ctx, cfg)
	if note != "" {
		fmt.Fprintln(out, note)
	}
	err = errors.Join(err, bench.WriteOffloadSummary(out, runs))
	if e.dir != "" && len(runs) > 0 {
		err = errors.Join(err, bench.WriteJSON(filepath.Join(e.dir, "offload.json"), runs))
	}
	return err
}

func cmdHitRatio(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("hitratio", flag.ContinueOnError)
	cfg := bench.DefaultHitRatio("")
	var policies, budgets, outDir string
	fs.Int64Var(&cfg.Records, "records", cfg.Records, "key space")
	fs.Int64Var(&cfg.Requests, "requests", cfg.Requests, "reads in the trace (each miss is followed by a SET)")
	fs.IntVar(&cfg.ValueSize, "value-size", cfg.ValueSize, "value size in bytes")
	fs.Float64Var(&cfg.Theta, "theta", cfg.Theta, "scrambled Zipfian constant, 0 < θ < 1")
	fs.Float64Var(&cfg.Fraction, "fraction", cfg.Fraction, "maxmemory as a fraction of records × (key + value bytes)")
	fs.StringVar(&budgets, "budgets", strings.Join(cfg.Budgets, ","), "maxmemory modes, comma-separated: same (both the fraction) | above-empty (each server's empty used_memory + the fraction)")
	fs.StringVar(&policies, "policies", strings.Join(cfg.Policies, ","), "maxmemory-policy values, comma-separated")
	fs.IntVar(&cfg.Pipeline, "pipeline", cfg.Pipeline, "GETs per round trip")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "trace seed")
	fs.StringVar(&cfg.RedisBin, "redis-bin", cfg.RedisBin, "redis-server binary")
	fs.StringVar(&cfg.CacheserverBin, "cacheserver-bin", cfg.CacheserverBin, "cacheserver binary")
	fs.StringVar(&outDir, "out", "", "directory for hitratio.json and server logs (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Policies, cfg.Budgets = parseList(policies), parseList(budgets)
	dir, cleanup, err := workDir(outDir)
	if err != nil {
		return err
	}
	defer cleanup()
	cfg.Dir = dir
	rep, err := bench.RunHitRatio(ctx, cfg)
	if rep == nil {
		return err
	}
	err = errors.Join(err, bench.WriteHitRatioSummary(out, rep))
	if outDir != "" {
		err = errors.Join(err, bench.WriteJSON(filepath.Join(outDir, "hitratio.json"), rep))
	}
	return err
}

// setDefault changes a registered flag's default value (and its help).
func setDefault(fs *flag.FlagSet, name, value string) {
	if f := fs.Lookup(name); f != nil {
		f.DefValue = value
		_ = f.Value.Set(value)
	}
}
