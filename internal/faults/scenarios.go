package faults

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"

	"github.com/ringcache/ringcache/internal/launch"
)

// Expectation says whether a scenario is expected to pass on today's code.
// A scenario that describes behaviour not built yet is an expected failure:
// it runs and prints its figures, and the suite fails only if it passes
// (XPASS: flip its line here once the fix has landed).
type Expectation struct {
	Pass bool
	// Why states what is missing for an expected failure.
	Why string
}

// Expectations is the one table of what each scenario is expected to do
// today. Flip a line when the fix for it lands.
var Expectations = map[string]Expectation{
	"crash-primary":       {Pass: true},
	"crash-replicated":    {Pass: true}, // replicas: failover with data, WAIT 1 (docs/cluster.md, Replication)
	"pause-primary":       {Pass: true}, // lease-based fencing and flush on return (docs/cluster.md, Fencing)
	"partition-minority":  {Pass: true},
	"partition-heal":      {Pass: true},
	"kill-during-handoff": {Why: "no replicas: acknowledged writes of the killed node's slots are lost (hand-off covers planned changes only)"},
	"rolling-restart":     {Pass: true}, // hand-off on graceful leave and join (docs/cluster.md, Hand-off)
	"churn":               {Pass: true},
	"slow-node":           {Pass: true},
	"origin-outage":       {Pass: true},
}

// Scenario is a named fault injected while the workload runs.
type Scenario struct {
	Name string
	Doc  string
	// NoLoss adds the check that no acknowledged write was later missed
	// (what replicas and hand-off promise); without it misses are legal.
	NoLoss bool
	// MaxUnavailable, when set, bounds the unavailability window.
	MaxUnavailable time.Duration
	// SDKOnly: the workload runs SDK clients only (with an origin).
	SDKOnly bool
	// Wait: the go-redis clients acknowledge a write only once WAIT 1
	// reports a replica has it (workload.go).
	Wait bool
	// Replicas is each node's --replicas (replication is off by default).
	Replicas int
	// Run injects the fault and waits for the cluster to recover; it marks
	// the fault's start and end on env.
	Run func(ctx context.Context, env *Env) error
}

// Scenarios returns every scenario, in the order the suite runs them.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "crash-primary", Doc: "SIGKILL one node, wait until the others route without it, restart it under the same name",
			MaxUnavailable: 15 * time.Second, Run: crashPrimary},
		{Name: "crash-replicated", Doc: "writes acknowledged with WAIT 1; SIGKILL one node and keep it down: its replicas take its slots with their data",
			NoLoss: true, Wait: true, Replicas: 1, MaxUnavailable: 15 * time.Second, Run: crashKeepDown},
		{Name: "pause-primary", Doc: "SIGSTOP one node until the others remove it, hold, SIGCONT", Run: pausePrimary},
		{Name: "partition-minority", Doc: "cut one node's gossip and peer traffic (clients still reach it), hold, heal",
			Run: func(ctx context.Context, env *Env) error { return partition(ctx, env, Gossip|Peer) }},
		{Name: "partition-heal", Doc: "cut one node's gossip only until the others remove it, write through them, heal",
			Run: func(ctx context.Context, env *Env) error { return partition(ctx, env, Gossip) }},
		{Name: "kill-during-handoff", Doc: "a node joins and, while the ring changes, another is SIGKILLed",
			NoLoss: true, Run: killDuringHandoff},
		{Name: "rolling-restart", Doc: "SIGTERM and restart every node in turn under the same name",
			NoLoss: true, Run: rollingRestart},
		{Name: "churn", Doc: "three rounds of a node joining then leaving gracefully", Run: churn},
		{Name: "slow-node", Doc: "tc netem adds 40ms to every packet one node sends from its RESP port (without netem: SIGSTOP 20ms of every 50ms)", Run: slowNode},
		{Name: "origin-outage", Doc: "the SDK's origin fails for a while; cached reads must go on", SDKOnly: true, Run: originOutage},
	}
}

// Find returns the scenario called name.
func Find(name string) (Scenario, error) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("faults: unknown scenario %q", name)
}

// others returns the running nodes other than n, as a function so each
// call sees the cluster's current nodes.
func others(c *launch.Cluster, n *launch.Node) func() []*launch.Node {
	return func() []*launch.Node {
		var out []*launch.Node
		for _, o := range c.Running() {
			if o != n {
				out = append(out, o)
			}
		}
		return out
	}
}

func crashPrimary(ctx context.Context, env *Env) error {
	env.Start("SIGKILL " + env.Victim.Name)
	env.Victim.Kill()
	if err := env.C.WaitAgreed(ctx); err != nil {
		return err
	}
	env.Note("survivors agreed")
	return env.restart(ctx, env.Victim.Name)
}

// crashKeepDown SIGKILLs the victim and ends the fault once the others
// route without it (a restart would bring it back empty as the owner of
// its slots: that is hand-off's part, see rolling-restart).
func crashKeepDown(ctx context.Context, env *Env) error {
	env.Start("SIGKILL " + env.Victim.Name)
	env.Victim.Kill()
	err := env.C.WaitAgreedOn(ctx, others(env.C, env.Victim))
	env.End("survivors agreed")
	return err
}

// restart starts name again, waits for agreement and marks the fault's end.
func (env *Env) restart(ctx context.Context, name string) error {
	if _, err := env.C.StartNode(ctx, name); err != nil {
		return err
	}
	err := env.C.WaitAgreed(ctx)
	env.End("restarted " + name)
	return err
}

func pausePrimary(ctx context.Context, env *Env) error {
	v := env.Victim
	env.Start("SIGSTOP " + v.Name)
	if err := v.Pause(); err != nil {
		return err
	}
	defer v.Resume() //nolint:errcheck // resumed below; this covers early returns
	if err := env.C.WaitAgreedOn(ctx, others(env.C, v)); err != nil {
		return err
	}
	env.Note("others removed it")
	if err := ctxsleep.Sleep(ctx, env.Hold); err != nil {
		return err
	}
	if err := v.Resume(); err != nil {
		return err
	}
	err := env.C.WaitAgreed(ctx)
	env.End("SIGCONT, agreed")
	return err
}

func partition(ctx context.Context, env *Env, what Traffic) error {
	v := env.Victim
	env.Start("isolate " + v.Name)
	if err := env.FW.Isolate(v, others(env.C, v)(), what); err != nil {
		return err
	}
	if err := env.C.WaitAgreedOn(ctx, others(env.C, v)); err != nil {
		return err
	}
	env.Note("others removed it")
	if err := ctxsleep.Sleep(ctx, env.Hold); err != nil {
		return err
	}
	if err := env.FW.Heal(); err != nil {
		return err
	}
	err := env.C.WaitAgreed(ctx)
	env.End("healed, agreed")
	return err
}

func killDuringHandoff(ctx context.Context, env *Env) error {
	env.Start("join a node")
	if _, err := env.C.AddNode(ctx); err != nil {
		return err
	}
	env.Victim.Kill()
	env.Note("SIGKILL " + env.Victim.Name)
	if err := env.C.WaitAgreed(ctx); err != nil {
		return err
	}
	return env.restart(ctx, env.Victim.Name)
}

func rollingRestart(ctx context.Context, env *Env) error {
	env.Start("rolling restart")
	for _, n := range env.C.Running() {
		if err := n.Stop(10 * time.Second); err != nil {
			return err
		}
		if err := env.C.WaitAgreed(ctx); err != nil {
			return err
		}
		if _, err := env.C.StartNode(ctx, n.Name); err != nil {
			return err
		}
		if err := env.C.WaitAgreed(ctx); err != nil {
			return err
		}
		env.Note("restarted " + n.Name)
	}
	env.End("all restarted")
	return nil
}

func churn(ctx context.Context, env *Env) error {
	env.Start("churn")
	for range 3 {
		n, err := env.C.AddNode(ctx)
		if err != nil {
			return err
		}
		if err := env.C.WaitAgreed(ctx); err != nil {
			return err
		}
		if err := n.Stop(10 * time.Second); err != nil {
			return err
		}
		if err := env.C.WaitAgreed(ctx); err != nil {
			return err
		}
		env.Note(n.Name + " joined and left")
	}
	env.End("churn over")
	return nil
}

func slowNode(ctx context.Context, env *Env) error {
	env.Start("slow " + env.Victim.Name)
	err := env.Netem.Slow(env.Victim.Port(), 40*time.Millisecond, 0)
	switch {
	case errors.Is(err, ErrNetemUnavailable):
		env.Note("tc netem unavailable (" + err.Error() + "): SIGSTOP 20ms of every 50ms instead")
		err = dutyCycle(ctx, env.Victim, 2*env.Hold, 20*time.Millisecond, 30*time.Millisecond)
	case err == nil:
		err = errors.Join(ctxsleep.Sleep(ctx, 2*env.Hold), env.Netem.Clear())
	}
	env.End("slowness removed")
	return err
}

// dutyCycle slows n for d by pausing it for stop out of every stop+run.
func dutyCycle(ctx context.Context, n *launch.Node, d, stop, run time.Duration) error {
	defer n.Resume() //nolint:errcheck // best effort on every exit path
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if err := n.Pause(); err != nil {
			return err
		}
		if err := ctxsleep.Sleep(ctx, stop); err != nil {
			return err
		}
		if err := n.Resume(); err != nil {
			return err
		}
		if err := ctxsleep.Sleep(ctx, run); err != nil {
			return err
		}
	}
	return nil
}

func originOutage(ctx context.Context, env *Env) error {
	env.Start("origin down")
	env.Origin.SetDown(true)
	err := ctxsleep.Sleep(ctx, 2*env.Hold)
	env.Origin.SetDown(false)
	env.End("origin up")
	return err
}
