package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/bench"
)

// workloadFlags are the workload options shared by every subcommand.
type workloadFlags struct {
	ycsb                           string
	read, update, insert, del, rmw float64
	records                        int64
	dist                           string
	theta, hotSet, hotOps          float64
	valueDist                      string
	valueSize, valueMax            int
	ttl                            time.Duration
	seed                           uint64
}

func (f *workloadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.ycsb, "workload", "b", "YCSB core workload a|b|c|d|f, or custom (use -read/-update/-insert/-delete/-rmw)")
	fs.Float64Var(&f.read, "read", 0, "custom mix: read weight")
	fs.Float64Var(&f.update, "update", 0, "custom mix: update weight")
	fs.Float64Var(&f.insert, "insert", 0, "custom mix: insert weight")
	fs.Float64Var(&f.del, "delete", 0, "custom mix: delete weight")
	fs.Float64Var(&f.rmw, "rmw", 0, "custom mix: read-modify-write weight")
	fs.Int64Var(&f.records, "records", 100000, "records loaded before the run (keys key:%012d)")
	fs.StringVar(&f.dist, "dist", "", "key distribution uniform|zipfian|scrambled|hotspot|latest (default: the workload's)")
	fs.Float64Var(&f.theta, "theta", 0.99, "Zipfian constant, 0 < θ < 1")
	fs.Float64Var(&f.hotSet, "hot-set", 0.2, "hotspot: fraction of records that are hot")
	fs.Float64Var(&f.hotOps, "hot-ops", 0.8, "hotspot: fraction of operations on hot records")
	fs.StringVar(&f.valueDist, "value-dist", "fixed", "value size distribution fixed|uniform|zipf")
	fs.IntVar(&f.valueSize, "value-size", 100, "value size in bytes (minimum for uniform/zipf)")
	fs.IntVar(&f.valueMax, "value-max", 0, "maximum value size for uniform/zipf (default value-size)")
	fs.DurationVar(&f.ttl, "ttl", 0, "TTL on every write (0: none)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed")
}

func (f *workloadFlags) config() (bench.WorkloadConfig, error) {
	var w bench.WorkloadConfig
	if f.ycsb == "custom" {
		w = bench.WorkloadConfig{Name: "custom", KeyDist: "scrambled",
			Mix: bench.Mix{Read: f.read, Update: f.update, Insert: f.insert, Delete: f.del, RMW: f.rmw}}
	} else {
		var err error
		if w, err = bench.YCSB(f.ycsb); err != nil {
			return w, err
		}
	}
	if f.dist != "" {
		w.KeyDist = f.dist
	}
	w.Records, w.Theta, w.HotSet, w.HotOps = f.records, f.theta, f.hotSet, f.hotOps
	w.ValueDist, w.ValueMin, w.ValueMax = f.valueDist, f.valueSize, max(f.valueMax, f.valueSize)
	w.TTL, w.Seed = f.ttl, f.seed
	return w, w.Validate()
}

// loadFlags are the load-model options.
type loadFlags struct {
	model            string
	concurrency      int
	rate             float64
	duration, warmup time.Duration
}

func (f *loadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "closed", "load model closed|open")
	fs.IntVar(&f.concurrency, "concurrency", 16, "workers (closed) or max requests in flight (open)")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: offered rate in ops/s")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "measured duration")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "unmeasured warm-up before the measurement")
}

func (f *loadFlags) config() bench.LoadConfig {
	return bench.LoadConfig{Model: f.model, Concurrency: f.concurrency, Rate: f.rate, Duration: f.duration, Warmup: f.warmup}
}

// targetFlags describe a resp target.
type targetFlags struct {
	cluster string
	pids    string
	noLoad  bool
}

func (f *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cluster, "cluster", "auto", "use a cluster client: auto (CLUSTER SLOTS lists > 1 node) | yes | no")
	fs.StringVar(&f.pids, "pids", "", "server pids for CPU/RSS, addr=pid,... (default: INFO process_id for loopback servers)")
	fs.BoolVar(&f.noLoad, "no-load", false, "skip the load phase (records already present)")
}

func parsePIDs(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		addr, p, ok := strings.Cut(kv, "=")
		pid, err := strconv.Atoi(p)
		if !ok || err != nil {
			return nil, fmt.Errorf("-pids: %q is not addr=pid", kv)
		}
		out[addr] = pid
	}
	return out, nil
}

// progressWriter returns stderr when it is a terminal, else nil (quiet).
func progressWriter() io.Writer {
	st, err := os.Stderr.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return os.Stderr
}
