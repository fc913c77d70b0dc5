package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// ScenarioConfig describes a fault or scaling scenario on a local cluster
// of cacheserver processes that the scenario starts and stops itself.
type ScenarioConfig struct {
	// Kind is "scale-out" (add one node at At) or "kill-node" (SIGKILL the
	// last node at At).
	Kind string
	// Bin is the cacheserver binary (default bin/cacheserver).
	Bin string
	// Dir receives the node logs. Required.
	Dir string
	// Nodes is the initial cluster size (default 3).
	Nodes int
	// NodeArgs is the argument template for each node: {port} and {gossip}
	// are the node's RESP and gossip ports, {join} expands to
	// "--join 127.0.0.1:<first node's gossip port>" for every node but the
	// first. Default DefaultNodeArgs.
	NodeArgs string
	// Workload and Load drive the cluster (closed loop recommended; the
	// default load runs 30 s).
	Workload WorkloadConfig
	Load     LoadConfig
	// At is when the event happens, from the start of measurement
	// (default 10 s).
	At time.Duration
}

// DefaultNodeArgs is the default ScenarioConfig.NodeArgs.
const DefaultNodeArgs = "--bind 127.0.0.1 --port {port} --gossip-port {gossip} {join}"

// DefaultScenario returns a kill-node scenario on 3 nodes with YCSB B.
func DefaultScenario(dir string) ScenarioConfig {
	lc := DefaultLoad()
	lc.Duration = 30 * time.Second
	return ScenarioConfig{Kind: "kill-node", Bin: "bin/cacheserver", Dir: dir, Nodes: 3,
		NodeArgs: DefaultNodeArgs, Workload: DefaultWorkload(), Load: lc, At: 10 * time.Second}
}

// localCluster is the set of nodes a scenario runs.
type localCluster struct {
	cfg   ScenarioConfig
	nodes []*Process
	seed  int // gossip port of the first node
}

// RunScenario checks that the binary supports --join, starts the cluster,
// loads it, runs the load with the scenario's event, and stops every node.
func RunScenario(ctx context.Context, cfg ScenarioConfig, progress io.Writer) (*Result, error) {
	if cfg.Kind != "scale-out" && cfg.Kind != "kill-node" {
		return nil, fmt.Errorf("bench: unknown scenario %q (want scale-out or kill-node)", cfg.Kind)
	}
	if cfg.Dir == "" || cfg.Nodes < 1 || (cfg.Kind == "kill-node" && cfg.Nodes < 2) {
		return nil, fmt.Errorf("bench: scenario %s needs a log directory and enough nodes (got %d)", cfg.Kind, cfg.Nodes)
	}
	if err := CheckJoinSupport(ctx, cfg.Bin); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", cfg.Kind, err)
	}
	lc := &localCluster{cfg: cfg}
	defer lc.stopAll()
	for range cfg.Nodes {
		if _, err := lc.add(ctx); err != nil {
			return nil, err
		}
	}
	return lc.run(ctx, progress)
}

func (lc *localCluster) run(ctx context.Context, progress io.Writer) (*Result, error) {
	rc := DefaultRESPConfig(lc.nodes[0].Addr)
	rc.Cluster, rc.PoolSize, rc.Label = "yes", lc.cfg.Load.Concurrency, "ringcache-"+lc.cfg.Kind
	target, err := NewRESP(ctx, rc)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	w, err := NewWorkload(lc.cfg.Workload)
	if err != nil {
		return nil, err
	}
	if err := Preload(ctx, target, w, lc.cfg.Load.Concurrency); err != nil {
		return nil, err
	}
	opt := RunOptions{Name: "scenario-" + lc.cfg.Kind, Progress: progress, Actions: []Action{lc.action()}}
	return Run(ctx, target, w, lc.cfg.Load, opt)
}

func (lc *localCluster) action() Action {
	if lc.cfg.Kind == "scale-out" {
		return Action{At: lc.cfg.At, What: "start node", Do: func(ctx context.Context) error {
			_, err := lc.add(ctx)
			return err
		}}
	}
	victim := lc.nodes[len(lc.nodes)-1]
	return Action{At: lc.cfg.At, What: "SIGKILL node " + victim.Addr, Do: func(context.Context) error {
		victim.Kill()
		return nil
	}}
}

// add starts one more node, joined to the first.
func (lc *localCluster) add(ctx context.Context) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	gossip, err := FreePort()
	if err != nil {
		return nil, err
	}
	join := ""
	if len(lc.nodes) == 0 {
		lc.seed = gossip
	} else {
		join = fmt.Sprintf("--join 127.0.0.1:%d", lc.seed)
	}
	r := strings.NewReplacer("{port}", fmt.Sprint(port), "{gossip}", fmt.Sprint(gossip), "{join}", join)
	args := strings.Fields(r.Replace(lc.cfg.NodeArgs))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := StartProcess(ctx, lc.cfg.Bin, args, addr, filepath.Join(lc.cfg.Dir, fmt.Sprintf("node-%d.log", port)))
	if err != nil {
		return nil, err
	}
	lc.nodes = append(lc.nodes, p)
	return p, nil
}

func (lc *localCluster) stopAll() {
	for _, p := range lc.nodes {
		p.Stop(5 * time.Second)
	}
}
