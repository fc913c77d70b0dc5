package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ringcache/ringcache/internal/launch"
)

// ScenarioConfig describes a fault or scaling scenario on a local ringcache
// cluster of real cacheserver processes (internal/launch) that the scenario
// starts and stops itself.
type ScenarioConfig struct {
	// Kind is "scale-out" (start one more node at At), "scale-in" (stop
	// the last node gracefully at At: SIGTERM, it hands its slots over and
	// leaves) or "kill-node" (SIGKILL the last node at At). The client's
	// entry node is the first.
	Kind string
	// Bin is the cacheserver binary (default bin/cacheserver).
	Bin string
	// Dir receives the node logs. Required.
	Dir string
	// Nodes is the initial cluster size (default 3; kill-node needs 2).
	Nodes int
	// Redirect is the nodes' --redirect: "forward" (default) or "moved".
	Redirect string
	// Client is how the load reaches the cluster: "node" (default) sends
	// every request to the first node, which forwards what it does not own
	// (needs Redirect forward); "cluster" uses go-redis's ClusterClient,
	// which routes by CLUSTER SLOTS to the owner.
	Client string
	// ClusterReload is the cluster client's periodic CLUSTER SLOTS reload
	// (0: go-redis's 60 s; see RESPConfig.ClusterReload).
	ClusterReload time.Duration
	// LANGossip selects the nodes' LAN gossip timers (failure detection in
	// ~5–8 s) instead of the local ones (~1 s).
	LANGossip bool
	// NodeArgs are extra flags for every node (e.g. "--maxmemory", "64mb").
	NodeArgs []string
	// Fill makes a read miss SET the key (cache-aside), so the hit ratio
	// can recover after keys are lost with a node or a moved slot.
	Fill bool
	// Workload and Load drive the cluster (closed loop recommended).
	Workload WorkloadConfig
	Load     LoadConfig
	// At is when the event happens, from the start of measurement.
	At time.Duration
}

// scaleInStop bounds a graceful stop in the scale-in scenario: the node's
// default drain cap (20 s) and its shutdown.
const scaleInStop = 40 * time.Second

// DefaultScenario returns a kill-node scenario on 3 nodes with YCSB B,
// 16 workers through the first node in forward mode, cache-aside fill,
// LAN gossip timers, 30 s with the event at 10 s.
func DefaultScenario(dir string) ScenarioConfig {
	lc := DefaultLoad()
	lc.Duration = 30 * time.Second
	return ScenarioConfig{Kind: "kill-node", Bin: "bin/cacheserver", Dir: dir, Nodes: 3, Redirect: "forward",
		Client: "node", LANGossip: true, Fill: true, Workload: DefaultWorkload(), Load: lc, At: 10 * time.Second}
}

// Validate reports the first problem with the scenario.
func (c ScenarioConfig) Validate() error {
	switch {
	case c.Kind != "scale-out" && c.Kind != "scale-in" && c.Kind != "kill-node":
		return fmt.Errorf("bench: unknown scenario %q (want scale-out, scale-in or kill-node)", c.Kind)
	case c.Dir == "":
		return fmt.Errorf("bench: scenario %s needs a log directory", c.Kind)
	case c.Nodes < 1 || (c.Kind != "scale-out" && c.Nodes < 2):
		return fmt.Errorf("bench: scenario %s needs more nodes (got %d)", c.Kind, c.Nodes)
	case c.Redirect != "forward" && c.Redirect != "moved":
		return fmt.Errorf("bench: redirect %q (want forward or moved)", c.Redirect)
	case c.Client != "node" && c.Client != "cluster":
		return fmt.Errorf("bench: scenario client %q (want node or cluster)", c.Client)
	case c.Client == "node" && c.Redirect == "moved" && c.Nodes > 1:
		return errors.New("bench: client node needs redirect forward (a plain client cannot follow -MOVED)")
	case c.At <= 0 || c.At >= c.Load.Duration:
		return fmt.Errorf("bench: event at %v is outside the %v run", c.At, c.Load.Duration)
	}
	return c.Load.Validate()
}

// ScenarioResult is a scenario's run and its recovery figures.
type ScenarioResult struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Nodes         int    `json:"nodes"`
	Redirect      string `json:"redirect"`
	Client        string `json:"client"`
	Gossip        string `json:"gossip_profile"`
	Fill          bool   `json:"fill_on_miss"`
	// Recovery has one entry per metric and level (see Recoveries).
	Recovery []Recovery `json:"recovery"`
	Result   *Result    `json:"result"`
}

// RunScenario starts the cluster, loads it, runs the load with the
// scenario's event, computes the recovery figures, and kills every node.
func RunScenario(ctx context.Context, cfg ScenarioConfig, progress io.Writer) (*ScenarioResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := StartRingcacheCluster(ctx, cfg.Bin, cfg.Dir, launch.Options{N: cfg.Nodes,
		Redirect: cfg.Redirect, LANGossip: cfg.LANGossip, Args: cfg.NodeArgs})
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", cfg.Kind, err)
	}
	defer c.Close()
	sr := &ScenarioResult{SchemaVersion: SchemaVersion, Kind: cfg.Kind, Nodes: cfg.Nodes, Redirect: cfg.Redirect,
		Client: cfg.Client, Gossip: "local", Fill: cfg.Fill}
	if cfg.LANGossip {
		sr.Gossip = "lan"
	}
	res, err := runScenarioLoad(ctx, cfg, c, progress)
	if res != nil {
		sr.Result = res
		if len(res.Events) > 0 {
			sr.Recovery = Recoveries(res.Intervals, res.Events[0].T)
		}
	}
	return sr, err
}

func runScenarioLoad(ctx context.Context, cfg ScenarioConfig, c *launch.Cluster, progress io.Writer) (*Result, error) {
	entry := c.Nodes()[0].Addr
	rc := DefaultRESPConfig(entry)
	rc.Cluster, rc.PoolSize = "no", cfg.Load.Concurrency
	rc.Label = fmt.Sprintf("ringcache-%dnodes-%s-via-%s", cfg.Nodes, cfg.Redirect, cfg.Client)
	if cfg.Client == "cluster" {
		rc.Cluster, rc.ClusterReload = "yes", cfg.ClusterReload
	}
	w, err := NewWorkload(cfg.Workload)
	if err != nil {
		return nil, err
	}
	if cfg.Fill {
		rc.FillOnMiss = w.Config().ValueMin
	}
	target, err := NewRESP(ctx, rc)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := Preload(ctx, target, w, cfg.Load.Concurrency); err != nil {
		return nil, err
	}
	opt := RunOptions{Name: "scenario-" + cfg.Kind, Progress: progress, Actions: []Action{scenarioAction(cfg, c)}}
	return Run(ctx, target, w, cfg.Load, opt)
}

// scenarioAction starts, stops or kills a node at cfg.At and returns once
// the running nodes agree on the ring again (the event's DoneT).
func scenarioAction(cfg ScenarioConfig, c *launch.Cluster) Action {
	if cfg.Kind == "scale-out" {
		return Action{At: cfg.At, What: fmt.Sprintf("start node %d", cfg.Nodes+1), Do: func(ctx context.Context) error {
			if _, err := c.AddNode(ctx); err != nil {
				return err
			}
			return c.WaitAgreed(ctx)
		}}
	}
	nodes := c.Nodes()
	victim := nodes[len(nodes)-1]
	if cfg.Kind == "scale-in" {
		return Action{At: cfg.At, What: "SIGTERM " + victim.Name, Do: func(ctx context.Context) error {
			// The node drains (its slots' new owners copy them) before it
			// exits; the nodes' --drain-timeout bounds that.
			if err := victim.Stop(scaleInStop); err != nil {
				return err
			}
			return c.WaitAgreed(ctx)
		}}
	}
	return Action{At: cfg.At, What: "SIGKILL " + victim.Name, Do: func(ctx context.Context) error {
		victim.Kill()
		return c.WaitAgreed(ctx)
	}}
}
