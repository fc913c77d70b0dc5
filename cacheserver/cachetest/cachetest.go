// Package cachetest runs ringcache clusters inside a test process: N
// cacheserver nodes on 127.0.0.1 with free ports and fast gossip timers,
// joined through the first node. Nodes can be added, stopped gracefully
// (they leave), killed (closed without leaving: peers see a failure, as
// after SIGKILL) and restarted under the same name. WaitAgreed polls, with
// a deadline, until every running node routes with the same ring.
package cachetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/internal/poll"
)

// Options configures a test cluster.
type Options struct {
	// N is the number of nodes to start. Default 3.
	N int
	// Redirect is "forward" (default) or "moved".
	Redirect string
	// Configure, when set, adjusts each node's config before it starts.
	Configure func(name string, cfg *cacheserver.Config)
	// Logger receives the nodes' logs. Nil discards them.
	Logger *slog.Logger
	// Timeout bounds WaitAgreed. Default 15s.
	Timeout time.Duration
}

// Cluster is a set of in-process nodes.
type Cluster struct {
	tb    testing.TB
	opts  Options
	Nodes []*Node
	seq   int
}

// Node is one in-process cacheserver.
type Node struct {
	Name string
	Srv  *cacheserver.Server
	Addr string // RESP address
	// TLSAddr is the TLS listener's address when the node's config has
	// TLS certificates (also served, with ServeTLS), else "".
	TLSAddr string
	done    chan error
	serves  int // Serve calls whose results done receives
	down    bool
}

// Start starts opts.N nodes and waits until they agree on the ring. The
// nodes are closed when the test ends.
func Start(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	if opts.N == 0 {
		opts.N = 3
	}
	if opts.Redirect == "" {
		opts.Redirect = "forward"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{tb: tb, opts: opts}
	tb.Cleanup(c.closeAll)
	for range opts.N {
		c.AddNode()
	}
	c.WaitAgreed()
	return c
}

// AddNode starts a new node that joins the cluster (it does not wait for
// agreement).
func (c *Cluster) AddNode() *Node {
	c.tb.Helper()
	c.seq++
	return c.StartNode(fmt.Sprintf("node-%d", c.seq), nil)
}

// StartNode starts a node called name; adjust, when set, changes its config
// after Options.Configure.
func (c *Cluster) StartNode(name string, adjust func(*cacheserver.Config)) *Node {
	c.tb.Helper()
	cfg := cacheserver.DefaultConfig()
	cc := cacheserver.DefaultClusterConfig()
	cc.NodeName, cc.GossipAddr, cc.Redirect = name, "127.0.0.1:0", c.opts.Redirect
	// The forwarding deadline counts from when a command is sent, so a
	// pipeline of hundreds of forwarded commands on a loaded test machine
	// (race detector, other tests) must fit in it: 3s, not the 1s a single
	// command would need.
	cc.FastGossip, cc.LeaveDrain, cc.ForwardTimeout = true, 200*time.Millisecond, 3*time.Second
	if seed := c.seed(); seed != "" {
		cc.Join = []string{seed}
	}
	cfg.Cluster = &cc
	if c.opts.Configure != nil {
		c.opts.Configure(name, &cfg)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	n, err := startNode(name, cfg, c.opts.Logger.With("node", name))
	if err != nil {
		c.tb.Fatalf("cachetest: start %s: %v", name, err)
	}
	c.Nodes = append(c.Nodes, n)
	return n
}

func startNode(name string, cfg cacheserver.Config, log *slog.Logger) (*Node, error) {
	srv, err := cacheserver.New(cfg, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	n := &Node{Name: name, Srv: srv, Addr: ln.Addr().String(), done: make(chan error, 2), serves: 1}
	go func() { n.done <- srv.Serve(ln) }()
	if cfg.TLS.CertFile != "" {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			_ = srv.Close()
			<-n.done
			return nil, err
		}
		n.TLSAddr, n.serves = tl.Addr().String(), 2
		go func() { n.done <- srv.ServeTLS(tl) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.GossipAddr() == "" {
		select {
		case err := <-n.done:
			n.abort(1)
			return nil, err
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.abort(0)
			return nil, errors.New("cluster did not start")
		}
	}
	return n, nil
}

// seed returns the gossip address of a running node.
func (c *Cluster) seed() string {
	for _, n := range c.Nodes {
		if !n.down {
			return n.Srv.GossipAddr()
		}
	}
	return ""
}

// Running returns the nodes not stopped or killed.
func (c *Cluster) Running() []*Node {
	var out []*Node
	for _, n := range c.Nodes {
		if !n.down {
			out = append(out, n)
		}
	}
	return out
}

// WaitAgreed waits until every running node routes with a ring of all
// running nodes, with the same epoch, serves keys (holds its lease) and
// knows the others route with that ring (Settled), and no slot is still
// being copied to it (HandoffIdle).
func (c *Cluster) WaitAgreed() {
	c.tb.Helper()
	run := c.Running()
	poll.Until(c.tb, c.opts.Timeout, fmt.Sprintf("%d nodes to agree on the ring", len(run)), func() bool {
		for _, n := range run {
			r := n.Srv.Ring()
			if r == nil || r.Len() != len(run) || r.Epoch() != run[0].Srv.Ring().Epoch() || !n.Srv.Serving() || !n.Srv.Settled() ||
				!n.Srv.HandoffIdle() {
				return false
			}
		}
		return true
	})
}

// Stop shuts n down gracefully: it leaves the cluster, then drains.
func (n *Node) Stop(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Srv.Shutdown(ctx); err != nil {
		tb.Errorf("cachetest: shutdown %s: %v", n.Name, err)
	}
	n.wait(tb)
}

// Kill closes n at once without leaving: peers must detect the failure.
func (n *Node) Kill(tb testing.TB) {
	tb.Helper()
	if err := n.Srv.Close(); err != nil {
		tb.Errorf("cachetest: close %s: %v", n.Name, err)
	}
	n.wait(tb)
}

func (n *Node) wait(tb testing.TB) {
	for range n.serves {
		if err := <-n.done; !errors.Is(err, cacheserver.ErrServerClosed) {
			tb.Errorf("cachetest: %s: Serve returned %v", n.Name, err)
		}
	}
	n.down = true
}

// Restart starts a node under the name of a stopped or killed one (at a
// new address), joining the running nodes.
func (c *Cluster) Restart(n *Node) *Node {
	c.tb.Helper()
	if !n.down {
		c.tb.Fatalf("cachetest: %s is still running", n.Name)
	}
	return c.StartNode(n.Name, nil)
}

func (c *Cluster) closeAll() {
	for _, n := range c.Nodes {
		if !n.down {
			_ = n.Srv.Close()
			for range n.serves {
				<-n.done
			}
			n.down = true
		}
	}
}

// abort closes a node that failed to start and collects the results of
// its Serve calls not yet received.
func (n *Node) abort(received int) {
	_ = n.Srv.Close()
	for range n.serves - received {
		<-n.done
	}
	n.down = true
}
