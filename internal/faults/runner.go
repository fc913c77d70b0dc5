package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"

	"github.com/ringcache/ringcache/internal/faults/history"
	"github.com/ringcache/ringcache/internal/launch"
)

// Config configures the runner. Start from DefaultConfig or ShortConfig.
type Config struct {
	// Binary is the cacheserver executable. Required.
	Binary string
	// Dir receives the nodes' logs, one subdirectory per scenario. Required.
	Dir string
	// Nodes is the cluster size. Default 3.
	Nodes int
	// LANGossip runs the nodes with serf's LAN timers instead of the fast
	// local ones (failure detection ~5-8s instead of ~1s; widen Bounds).
	LANGossip bool
	// Warmup is how long the workload runs before the fault, Settle how
	// long after the cluster recovered. Defaults 2s and 3s.
	Warmup, Settle time.Duration
	// Hold is how long a fault lasts once the cluster has reacted to it
	// (a partition after the others removed the node). Default 2s.
	Hold time.Duration
	// Bounds are the checker's Δ. Default with fast timers: cluster 500ms,
	// twice what ring changes document (a leaving node serves for its 200ms
	// LeaveDrain while peers apply the change, coalesced for 50ms), for a
	// loaded 2-core machine; L1 that + the SDK's L1 staleness bound
	// (100ms). LANBounds for LAN timers.
	Bounds history.Bounds
	// Mix is the workload. Default DefaultMix().
	Mix Mix
	// SDK opens SDK clients; nil: the workload has none (origin-outage is
	// then not run).
	SDK SDKFactory
	// Log receives progress lines. Nil: io.Discard.
	Log io.Writer
}

// DefaultConfig is the full suite's configuration (fast gossip timers).
func DefaultConfig() Config {
	return Config{Nodes: 3, Warmup: 2 * time.Second, Settle: 3 * time.Second, Hold: 2 * time.Second,
		Bounds: history.Bounds{Cluster: 500 * time.Millisecond, L1: 600 * time.Millisecond}, Mix: DefaultMix()}
}

// LANBounds are the checker's Δ for LAN timers: twice the 1s LeaveDrain
// plus 500ms coalescing, plus the L1 bound for L1 reads.
var LANBounds = history.Bounds{Cluster: 3 * time.Second, L1: 3100 * time.Millisecond}

// ShortConfig is the smoke version run by go test.
func ShortConfig() Config {
	c := DefaultConfig()
	c.Warmup, c.Settle, c.Hold = time.Second, 1500*time.Millisecond, time.Second
	return c
}

func (c Config) validate() error {
	switch {
	case c.Binary == "" || c.Dir == "":
		return errors.New("faults: Binary and Dir are required")
	case c.Nodes < 3:
		return errors.New("faults: at least 3 nodes")
	case c.Warmup <= 0 || c.Settle <= 0 || c.Hold <= 0:
		return errors.New("faults: Warmup, Settle and Hold must be positive")
	case c.Mix.Keys <= 0 || c.Mix.Rate <= 0 || c.Mix.Workers <= 0:
		return errors.New("faults: the mix needs keys, a rate and workers")
	}
	return nil
}

// Verdicts.
const (
	Pass  = "PASS"
	Fail  = "FAIL"
	XFail = "XFAIL" // expected failure that failed
	XPass = "XPASS" // expected failure that passed: flip Expectations
	Error = "ERROR" // the scenario could not run to its end
)

// Result is one scenario's outcome.
type Result struct {
	Scenario string          `json:"scenario"`
	Doc      string          `json:"doc"`
	Verdict  string          `json:"verdict"`
	Expected Expectation     `json:"expected"`
	Failures []string        `json:"failures,omitempty"` // the checks that failed
	Summary  history.Summary `json:"summary"`
	Check    history.Report  `json:"check"`
	Durable  string          `json:"durable"` // how acknowledged writes were checked
	Events   []string        `json:"events"`
	// UnavailableFromSec is when the longest unavailability began, in
	// seconds since the scenario started (see Events).
	UnavailableFromSec float64 `json:"unavailable_from_sec"`
	// StaleAfter counts the stale reads begun after the fault ended (the
	// cluster agreed on its ring again): old values served by a cluster
	// that has recovered, e.g. resurrected by a healed node.
	StaleAfter int `json:"stale_after_recovery"`
	// Windows shows the history around the first violations.
	Windows string `json:"windows,omitempty"`
	// Error is set when the scenario could not run to its end.
	Error string `json:"error,omitempty"`
	// Leftovers lists what the run failed to clean up (must be empty).
	Leftovers []string `json:"leftovers,omitempty"`
}

// Bad reports whether r should fail the suite: a failure not expected, an
// expected failure that passed, an error, or anything left behind.
func (r Result) Bad() bool {
	return r.Verdict == Fail || r.Verdict == XPass || r.Verdict == Error || len(r.Leftovers) > 0
}

// WAITNotBuilt explains the lost-write column of scenarios whose clients
// do not use WAIT.
const WAITNotBuilt = "writes without WAIT: misses of acknowledged writes are counted, not violations"

// WAITUsed explains it for scenarios whose writes are acknowledged after WAIT 1.
const WAITUsed = "writes acknowledged after WAIT 1: a miss of one is a lost write"

// Run runs one scenario on a fresh cluster and checks its history. It
// always removes what it created and reports anything left behind.
func Run(ctx context.Context, cfg Config, sc Scenario) (res Result) {
	res = Result{Scenario: sc.Name, Doc: sc.Doc, Expected: Expectations[sc.Name], Durable: WAITNotBuilt}
	if sc.Wait {
		res.Durable = WAITUsed
	}
	if err := cfg.validate(); err != nil {
		res.Error = err.Error()
		return res
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	fmt.Fprintf(cfg.Log, "== %s: %s\n", sc.Name, sc.Doc)
	env := &Env{Netem: &Netem{}, Origin: &Origin{}, Hold: cfg.Hold, log: cfg.Log, start: time.Now()}
	rec := &history.Recorder{}
	err := runScenario(ctx, cfg, sc, env, rec)
	chain := ""
	if env.FW != nil {
		chain = env.FW.Chain()
	}
	res.Leftovers = Leftovers(chain, env.Netem)
	if err != nil {
		res.Error = err.Error()
	}
	res.Events = env.events
	ops := rec.Ops()
	if err := writeHistory(filepath.Join(cfg.Dir, sc.Name, "history.jsonl"), ops); err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	evaluate(&res, cfg, sc, env, ops)
	return res
}

// writeHistory saves every operation, one JSON object a line.
func writeHistory(path string, ops []history.Op) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for _, o := range ops {
		if err := enc.Encode(o); err != nil {
			f.Close()
			return err
		}
	}
	return errors.Join(bw.Flush(), f.Close())
}

func runScenario(ctx context.Context, cfg Config, sc Scenario, env *Env, rec *history.Recorder) (err error) {
	defer func() { // a panicking scenario still cleans up (the defers below run first)
		if p := recover(); p != nil {
			err = errors.Join(err, fmt.Errorf("%s panicked: %v", sc.Name, p))
		}
	}()
	dir := filepath.Join(cfg.Dir, sc.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var args []string
	if sc.Replicas > 0 {
		args = []string{"--replicas", strconv.Itoa(sc.Replicas)}
	}
	c, err := launch.Start(ctx, launch.Options{Binary: cfg.Binary, Dir: dir, N: cfg.Nodes, UIDBase: uidBase(), SamePorts: true,
		LANGossip: cfg.LANGossip, Timeout: 60 * time.Second, Args: args})
	if err != nil {
		return err
	}
	defer c.Close()
	env.C, env.Victim = c, c.Nodes()[1]
	if env.FW, err = NewFirewall(); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, env.FW.Close(), env.Netem.Clear()) }()
	targets, err := openTargets(ctx, cfg, sc, env)
	if err != nil {
		return err
	}
	mix := cfg.Mix
	if sc.SDKOnly {
		mix.ROKeys, mix.ROReadPct = 1000, 0.5
	}
	preload(ctx, targets, mix, rec)
	wl := StartWorkload(rec, targets, mix)
	defer func() { err = errors.Join(err, wl.Stop()) }()
	env.Note("workload started")
	if err := ctxsleep.Sleep(ctx, cfg.Warmup); err != nil {
		return err
	}
	if err := sc.Run(ctx, env); err != nil {
		return fmt.Errorf("%s: %w", sc.Name, err)
	}
	return ctxsleep.Sleep(ctx, cfg.Settle)
}

// openTargets opens the workload's clients: a plain go-redis client of the
// first node, a ClusterClient, and an SDK client when cfg.SDK is set (SDK
// clients only for SDK scenarios).
func openTargets(ctx context.Context, cfg Config, sc Scenario, env *Env) (map[string]Target, error) {
	ts := map[string]Target{}
	if !sc.SDKOnly {
		ts["forward"] = forwardTarget(env.C, env.C.Nodes()[0].Name, sc.Wait)
		ts["cluster"] = clusterTarget(env.C.Addrs(), sc.Wait)
	}
	if cfg.SDK == nil {
		if sc.SDKOnly {
			return nil, errors.New("faults: scenario needs the SDK (run it from cachebench faults)")
		}
		return ts, nil
	}
	var load Loader
	if sc.SDKOnly {
		load = env.Origin.Load
	}
	sdk, err := cfg.SDK(ctx, env.C.Addrs(), load)
	if err != nil {
		for _, t := range ts {
			t.Close()
		}
		return nil, err
	}
	ts["sdk"] = sdk
	return ts, nil
}

// preload writes every key once through one target (recorded, so the
// checker knows the values), so the run starts with a warm cache.
func preload(ctx context.Context, ts map[string]Target, mix Mix, rec *history.Recorder) {
	w := &worker{name: "preload", mix: mix, rec: rec}
	for _, name := range []string{"forward", "sdk"} {
		if w.t = ts[name]; w.t != nil {
			break
		}
	}
	for i := range mix.Keys {
		key := fmt.Sprintf("k:%d", i)
		op := history.Op{Client: w.name, Kind: history.Write, Key: key, Value: fmt.Sprintf("preload-%d", i), Invoke: time.Now()}
		op.Err = ErrKind(w.t.Set(ctx, key, op.Value))
		op.Complete = time.Now()
		rec.Add(op)
	}
	// The origin's values exist from the start.
	for i := range mix.ROKeys {
		key := fmt.Sprintf("ro:%d", i)
		t := time.Now()
		rec.Add(history.Op{Client: "origin", Kind: history.Write, Key: key, Value: OriginValue(key), Invoke: t, Complete: t})
	}
}

// evaluate checks the history and sets the verdict.
func evaluate(res *Result, cfg Config, sc Scenario, env *Env, ops []history.Op) {
	start, end := env.window()
	res.Summary = history.Summarize(ops, start, end)
	res.Check = history.Check(ops, cfg.Bounds)
	if !res.Summary.UnavailableAt.IsZero() {
		res.UnavailableFromSec = res.Summary.UnavailableAt.Sub(env.start).Seconds()
	}
	res.Windows = windows(ops, res.Check.Violations, env.start, end)
	for _, v := range res.Check.Violations {
		if v.Kind == history.Stale && v.Read.Invoke.After(end) {
			res.StaleAfter++
		}
	}
	res.Failures = failures(res, sc)
	res.Verdict = verdict(res.Error != "", len(res.Failures) == 0, res.Expected.Pass)
}

// windows prints the history around the first two violations and the
// first two after the fault's end.
func windows(ops []history.Op, vs []history.Violation, start, end time.Time) string {
	var b strings.Builder
	shown, after := 0, 0
	for _, v := range vs {
		if v.Read.Invoke.After(end) && after < 2 {
			after++
		} else if shown >= 2 {
			continue
		}
		shown++
		history.PrintWindow(&b, ops, v, start, 12)
	}
	if n := len(vs) - shown; n > 0 {
		fmt.Fprintf(&b, "... %d more violations (all in report.json)\n", n)
	}
	return b.String()
}

// failures lists the checks the scenario failed.
func failures(res *Result, sc Scenario) []string {
	var out []string
	if res.Check.Stale > 0 {
		out = append(out, fmt.Sprintf("%d stale reads beyond Δ on %d keys", res.Check.Stale, res.Check.StaleKeys))
	}
	if res.Check.NeverWritten > 0 {
		out = append(out, fmt.Sprintf("%d reads of never-written values", res.Check.NeverWritten))
	}
	if sc.NoLoss && res.Check.MissedAcked > 0 {
		out = append(out, fmt.Sprintf("%d acknowledged writes lost", res.Check.MissedAcked))
	}
	if sc.MaxUnavailable > 0 && res.Summary.Unavailable > sc.MaxUnavailable {
		out = append(out, fmt.Sprintf("unavailable %v > %v", res.Summary.Unavailable, sc.MaxUnavailable))
	}
	if res.Summary.Reads == 0 {
		out = append(out, "no read recorded: the workload did not run")
	}
	return out
}

func verdict(errored, ok, expectPass bool) string {
	switch {
	case errored:
		return Error
	case ok && expectPass:
		return Pass
	case ok:
		return XPass
	case expectPass:
		return Fail
	}
	return XFail
}
