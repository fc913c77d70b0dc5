// Command cachebench measures ringcache (or any RESP server) with YCSB-style
// workloads: closed- and open-loop runs, sweeps to the breaking point,
// side-by-side comparisons, the standard suite, and cluster scenarios. See
// docs/bench.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ringcache/ringcache/bench"
)

const usage = `usage: cachebench <command> [flags]

commands:
  run       one run against -addr (closed or open loop)
  sweep     raise the open-loop rate until p99 > -slo or errors appear
  compare   the same workload against -a and -b in interleaved rounds
  sdk       a workload through the Go SDK (L1 on/off) reading through to an origin
  offload   origin queries per 1000 Gets and the share served by each SDK tier
  hitratio  cache-aside hit ratio, redis-server vs cacheserver at the same maxmemory
  suite     the standard suite (redis-server vs ringcache, sdk, hit ratio) into -out
  scenario  scale-out | scale-in | kill-node on a local cacheserver cluster
  faults    the fault suite (crash, pause, partitions, churn...) with a history checker (root)

cachebench <command> -h lists the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cachebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	cmds := map[string]func(context.Context, []string, io.Writer) error{
		"run": cmdRun, "sweep": cmdSweep, "compare": cmdCompare, "suite": cmdSuite, "scenario": cmdScenario,
		"sdk": cmdSDK, "offload": cmdOffload, "hitratio": cmdHitRatio, "faults": cmdFaults,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], out)
}

// common holds the flags of run and sweep.
type common struct {
	addr, label, outDir string
	w                   workloadFlags
	t                   targetFlags
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:7379", "RESP address of the server under test")
	fs.StringVar(&c.label, "label", "", "label of the target in results (default the address)")
	fs.StringVar(&c.outDir, "out", "", "directory for JSON, CSV and PNG output (default: summary only)")
	c.w.register(fs)
	c.t.register(fs)
}

// open connects the target, builds the workload and loads its records.
func (c *common) open(ctx context.Context, addr, label string, poolSize int) (*bench.RESP, *bench.Workload, *bench.Probe, error) {
	wc, err := c.w.config()
	if err != nil {
		return nil, nil, nil, err
	}
	pids, err := parsePIDs(c.t.pids)
	if err != nil {
		return nil, nil, nil, err
	}
	rc := bench.DefaultRESPConfig(addr)
	rc.Label, rc.Cluster, rc.PoolSize = label, c.t.cluster, poolSize
	t, err := bench.NewRESP(ctx, rc)
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := bench.NewWorkload(wc)
	if err == nil && !c.t.noLoad {
		err = bench.Preload(ctx, t, w, min(poolSize, 16))
	}
	if err != nil {
		t.Close()
		return nil, nil, nil, err
	}
	return t, w, t.Probe(pids), nil
}

func cmdRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var c common
	var l loadFlags
	c.register(fs)
	l.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	lc := l.config()
	if err := lc.Validate(); err != nil {
		return err
	}
	t, w, probe, err := c.open(ctx, c.addr, c.label, lc.Concurrency)
	if err != nil {
		return err
	}
	defer t.Close()
	res, err := bench.Run(ctx, t, w, lc, bench.RunOptions{Progress: progressWriter(), Probe: probe})
	if res != nil {
		_ = bench.WriteSummary(out, []*bench.Result{res})
		err = errors.Join(err, writeRunOutput(c.outDir, res))
	}
	return err
}

func writeRunOutput(dir string, res *bench.Result) error {
	if dir == "" {
		return nil
	}
	base := filepath.Join(dir, bench.SafeName(res.Name))
	rs := []*bench.Result{res}
	return errors.Join(bench.WriteJSON(base+".json", res), bench.WriteCSVFile(base+".csv", rs),
		bench.PlotOverTime(base+"-throughput.png", bench.MetricThroughput, rs),
		bench.PlotOverTime(base+"-p99.png", bench.MetricP99, rs),
		bench.PlotOverTime(base+"-hit-ratio.png", bench.MetricHitRatio, rs),
		bench.PlotPercentiles(base+"-percentiles.png", rs))
}

func cmdSweep(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	var c common
	sc := bench.DefaultSweep()
	c.register(fs)
	fs.Float64Var(&sc.StartRate, "start-rate", sc.StartRate, "first offered rate (ops/s)")
	fs.Float64Var(&sc.Factor, "factor", sc.Factor, "rate multiplier per step")
	fs.Float64Var(&sc.Step, "step", 0, "rate increment per step instead of -factor (ops/s)")
	fs.Float64Var(&sc.MaxRate, "max-rate", sc.MaxRate, "highest rate tried (ops/s)")
	fs.DurationVar(&sc.SLO, "slo", sc.SLO, "p99 latency SLO")
	fs.DurationVar(&sc.StepDuration, "step-duration", sc.StepDuration, "measured time per step")
	fs.DurationVar(&sc.Warmup, "warmup", sc.Warmup, "unmeasured time per step")
	fs.IntVar(&sc.Concurrency, "concurrency", sc.Concurrency, "max requests in flight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	t, w, probe, err := c.open(ctx, c.addr, c.label, sc.Concurrency)
	if err != nil {
		return err
	}
	defer t.Close()
	name := fmt.Sprintf("sweep-%s-%s", w.Config().Name, t.Info().Label)
	sr, err := bench.Sweep(ctx, t, w, sc, name, progressWriter(), probe)
	if sr == nil {
		return err
	}
	_ = bench.WriteSummary(out, sr.Steps)
	fmt.Fprintln(out, sr.BreakingLine())
	if c.outDir != "" {
		base := filepath.Join(c.outDir, bench.SafeName(name))
		err = errors.Join(err, bench.WriteJSON(base+".json", sr), bench.WriteCSVFile(base+".csv", sr.Steps),
			bench.PlotLatencyVsThroughput(base+".png", []*bench.SweepResult{sr}))
	}
	return err
}

func cmdCompare(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	var c common
	var l loadFlags
	var a, b, la, lb string
	var rounds int
	c.register(fs)
	l.register(fs)
	fs.StringVar(&a, "a", "", "RESP address of target A (required)")
	fs.StringVar(&b, "b", "", "RESP address of target B (required)")
	fs.StringVar(&la, "label-a", "a", "label of A")
	fs.StringVar(&lb, "label-b", "b", "label of B")
	fs.IntVar(&rounds, "rounds", 3, "rounds per target (A B A B …)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lc := l.config()
	if a == "" || b == "" {
		return errors.New("compare needs -a and -b")
	}
	if err := lc.Validate(); err != nil {
		return err
	}
	var sides [2]bench.CompareTarget
	for i, s := range []struct{ addr, label string }{{a, la}, {b, lb}} {
		t, w, probe, err := c.open(ctx, s.addr, s.label, lc.Concurrency)
		if err != nil {
			return fmt.Errorf("%s: %w", s.label, err)
		}
		defer t.Close()
		sides[i] = bench.CompareTarget{Label: s.label, Target: t, Workload: w, Probe: probe}
	}
	name := sides[0].Workload.Config().Name
	cr, err := bench.Compare(ctx, name, sides[0], sides[1], lc, rounds, progressWriter())
	if err != nil {
		return err
	}
	bench.WriteCompareSummary(out, cr, la, lb)
	if c.outDir == "" {
		return nil
	}
	rs := []*bench.Result{cr.A[len(cr.A)-1], cr.B[len(cr.B)-1]}
	base := filepath.Join(c.outDir, "compare-"+bench.SafeName(name))
	return errors.Join(bench.WriteJSON(base+".json", cr), bench.WriteCSVFile(base+".csv", append(cr.A, cr.B...)),
		bench.PlotPercentiles(base+"-percentiles.png", rs),
		bench.PlotOverTime(base+"-throughput.png", bench.MetricThroughput, rs))
}

func cmdSuite(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("suite", flag.ContinueOnError)
	cfg := bench.DefaultSuite("")
	fs.StringVar(&cfg.Out, "out", "", "report directory (required), e.g. bench/results/$(date -u +%Y%m%dT%H%M%SZ)")
	fs.StringVar(&cfg.RedisBin, "redis-bin", cfg.RedisBin, "redis-server binary to start")
	fs.StringVar(&cfg.CacheserverBin, "cacheserver-bin", cfg.CacheserverBin, "cacheserver binary to start")
	fs.StringVar(&cfg.RedisAddr, "redis-addr", "", "use this running redis-server instead of starting one")
	fs.StringVar(&cfg.RingcacheAddr, "ringcache-addr", "", "use this running ringcache node instead of starting one")
	fs.Int64Var(&cfg.Records, "records", cfg.Records, "records per workload")
	fs.DurationVar(&cfg.Closed.Duration, "duration", cfg.Closed.Duration, "closed-loop duration per round")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "closed-loop rounds per target")
	var seeds string
	var noSDK, noHitRatio bool
	fs.IntVar(&cfg.ClusterNodes, "cluster-nodes", cfg.ClusterNodes, "size of the ringcache cluster target (0: none)")
	fs.StringVar(&cfg.ClusterAddr, "cluster-addr", "", "use this running ringcache cluster (any node) instead of starting one")
	fs.StringVar(&seeds, "sdk-seeds", "", "cluster seeds for the sdk step (default: start a 3-node ringcache cluster)")
	fs.BoolVar(&noSDK, "no-sdk", false, "skip the sdk step")
	fs.BoolVar(&noHitRatio, "no-hitratio", false, "skip the hit-ratio step")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Out == "" {
		return errors.New("suite needs -out")
	}
	cfg.SDK.Env.Seeds = parseList(seeds)
	if noSDK {
		cfg.SDK = nil
	}
	if noHitRatio {
		cfg.HitRatio = nil
	}
	cfg.Progress, cfg.Steps = progressWriter(), os.Stderr
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now()
	rep, err := bench.RunSuite(ctx, cfg)
	if rep != nil && err == nil {
		bench.WriteSuiteSummary(out, rep)
		fmt.Fprintf(out, "\nsuite took %v; report in %s\n", time.Since(start).Round(time.Second), cfg.Out)
	}
	return err
}

func cmdScenario(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		return errors.New("usage: cachebench scenario scale-out|scale-in|kill-node [flags]")
	}
	fs := flag.NewFlagSet("scenario "+args[0], flag.ContinueOnError)
	cfg := bench.DefaultScenario("")
	cfg.Kind = args[0]
	var w workloadFlags
	var l loadFlags
	var gossip, nodeArgs string
	w.register(fs)
	l.register(fs)
	fs.StringVar(&cfg.Dir, "out", "bench/results/scenario-"+args[0], "directory for node logs, JSON, CSV and PNG plots")
	fs.StringVar(&cfg.Bin, "bin", cfg.Bin, "cacheserver binary")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "initial number of nodes")
	fs.StringVar(&cfg.Redirect, "redirect", cfg.Redirect, "the nodes' --redirect: forward | moved")
	fs.StringVar(&cfg.Client, "client", cfg.Client, "node: every request to the first node (forward mode) | cluster: go-redis ClusterClient")
	fs.DurationVar(&cfg.ClusterReload, "cluster-reload", 0, "client cluster: CLUSTER SLOTS reload interval (0: go-redis's 60s)")
	fs.StringVar(&gossip, "gossip-profile", "lan", "the nodes' --gossip-profile: lan (failure detection ~5-8 s) | local (~1 s)")
	fs.StringVar(&nodeArgs, "node-args", "", "extra flags for every node, e.g. \"--maxmemory 64mb\"")
	fs.BoolVar(&cfg.Fill, "fill", cfg.Fill, "cache-aside: a read miss SETs the key")
	fs.DurationVar(&cfg.At, "at", cfg.At, "when the node is added, stopped or killed, from the start of measurement")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	wc, err := w.config()
	if err != nil {
		return err
	}
	if gossip != "lan" && gossip != "local" {
		return fmt.Errorf("-gossip-profile %q (want lan or local)", gossip)
	}
	cfg.LANGossip, cfg.NodeArgs = gossip == "lan", strings.Fields(nodeArgs)
	cfg.Workload, cfg.Load = wc, l.config()
	if l.duration == 10*time.Second {
		cfg.Load.Duration = 30 * time.Second
	}
	sr, err := bench.RunScenario(ctx, cfg, progressWriter())
	if sr == nil || sr.Result == nil {
		return err
	}
	_ = bench.WriteScenarioSummary(out, sr)
	base := filepath.Join(cfg.Dir, bench.SafeName(sr.Result.Name))
	return errors.Join(err, writeRunOutput(cfg.Dir, sr.Result), bench.WriteJSON(base+"-scenario.json", sr))
}
