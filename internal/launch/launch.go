// Package launch runs local ringcache clusters of real cacheserver
// processes: tests that must SIGKILL a node, the SDK's tests, benchmarks
// and scenarios. Each node gets free loopback ports for RESP and gossip and
// joins through the first node; its log goes to a file in the cluster's
// directory. Agreement is read from each node's INFO (the ringcache
// section's member count and ring epoch), polled with a deadline.
package launch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures a cluster.
type Options struct {
	// Binary is the cacheserver executable (see Build). Required.
	Binary string
	// Dir holds the nodes' logs. Required.
	Dir string
	// N is the number of nodes Start launches. Default 3.
	N int
	// Redirect is "forward" (default) or "moved".
	Redirect string
	// LANGossip selects serf's LAN timers instead of the fast local ones.
	LANGossip bool
	// Args are extra flags for every node (for example "--maxmemory", "1gb").
	Args []string
	// Env is extra environment for every node (for example "GOMAXPROCS=1").
	Env []string
	// Password is what the cluster's own checks (INFO) authenticate with,
	// when the nodes require one (set it in Args or Env too).
	Password string
	// Timeout bounds starting a node and WaitAgreed. Default 20s.
	Timeout time.Duration
	// UIDBase, when not zero, runs each node under its own user id (needs
	// root): the n-th distinct node name gets UIDBase+n, kept across
	// restarts under the same name, so firewall rules can match a node's
	// traffic by owner (iptables -m owner --uid-owner). Zero: every node
	// runs as the caller.
	UIDBase uint32
	// SamePorts restarts a node that has exited on its previous RESP and
	// gossip ports (as a restarted server keeps its address), falling back
	// to free ones if they are taken. False: a restart gets new ports.
	SamePorts bool
}

// Cluster is a set of cacheserver processes.
type Cluster struct {
	opts  Options
	mu    sync.Mutex
	nodes []*Node
	seq   int
	uids  map[string]uint32 // node name -> uid, with Options.UIDBase
}

// Node is one cacheserver process.
type Node struct {
	Name       string
	Addr       string // RESP address
	GossipAddr string
	Log        string // log file path
	UID        uint32 // the process's user id when Options.UIDBase is set, else 0
	password   string
	cmd        *exec.Cmd
	exited     chan struct{}
	err        error // the process's exit status, once exited
}

// Build compiles ./cmd/cacheserver of the module at root into dir and
// returns the binary's path.
func Build(root, dir string) (string, error) {
	out := filepath.Join(dir, "cacheserver")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/cacheserver")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("launch: go build: %v\n%s", err, b)
	}
	return out, nil
}

// ModuleRoot returns the directory of the enclosing go.mod.
func ModuleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("launch: not inside a Go module")
	}
	return filepath.Dir(mod), nil
}

// Start launches opts.N nodes and waits until they agree on the ring.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Binary == "" || opts.Dir == "" {
		return nil, errors.New("launch: Binary and Dir are required")
	}
	if opts.N == 0 {
		opts.N = 3
	}
	if opts.Redirect == "" {
		opts.Redirect = "forward"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second
	}
	c := &Cluster{opts: opts}
	for range opts.N {
		if _, err := c.AddNode(ctx); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.WaitAgreed(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// AddNode launches one more node that joins the running ones; it returns
// once the node answers PING (not once the ring agrees).
func (c *Cluster) AddNode(ctx context.Context) (*Node, error) {
	c.mu.Lock()
	c.seq++
	name := fmt.Sprintf("node-%d", c.seq)
	c.mu.Unlock()
	return c.StartNode(ctx, name)
}

// StartNode launches a node called name (a new one, or a restart under the
// name of a stopped or killed node).
func (c *Cluster) StartNode(ctx context.Context, name string) (*Node, error) {
	var err error
	for i := range 3 { // a free port can be taken between probe and bind
		var n *Node
		var ports [2]int
		if prev := c.Node(name); i == 0 && c.opts.SamePorts && prev != nil && prev.Exited() {
			ports = [2]int{prev.Port(), prev.GossipPort()}
		}
		if n, err = c.startNode(ctx, name, ports); err == nil {
			c.mu.Lock()
			c.nodes = append(c.nodes, n)
			c.mu.Unlock()
			return n, nil
		}
	}
	return nil, err
}

func (c *Cluster) startNode(ctx context.Context, name string, ports [2]int) (*Node, error) {
	port, gport := ports[0], ports[1]
	if port == 0 {
		var err error
		if port, gport, err = freePorts(); err != nil {
			return nil, err
		}
	}
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--gossip-port", strconv.Itoa(gport),
		"--node-name", name, "--redirect", c.opts.Redirect, "--gossip-profile", "local"}
	if c.opts.LANGossip {
		args[len(args)-1] = "lan"
	}
	if seed := c.seed(); seed != "" {
		args = append(args, "--join", seed)
	}
	args = append(args, c.opts.Args...)
	logPath := filepath.Join(c.opts.Dir, fmt.Sprintf("%s-%d.log", name, port))
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644) // a restart on the same port appends
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(c.opts.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), c.opts.Env...)
	// A test binary that dies (a panic, go test's timeout, SIGKILL) runs no
	// cleanup: the kernel kills its nodes then, so none is left behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	uid := c.uidFor(name)
	if uid != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uid, Gid: uid}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("launch: start %s: %w", name, err)
	}
	n := &Node{Name: name, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		GossipAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(gport)), Log: logPath, UID: uid, cmd: cmd,
		password: c.opts.Password,
		exited:   make(chan struct{})}
	go func() { n.err = cmd.Wait(); close(n.exited) }()
	if err := n.waitPing(ctx, c.opts.Timeout); err != nil {
		n.Kill()
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("launch: %s did not answer: %w\n%s", name, err, b)
	}
	return n, nil
}

// uidFor returns the user id of the node called name (0 without UIDBase).
func (c *Cluster) uidFor(name string) uint32 {
	if c.opts.UIDBase == 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uids == nil {
		c.uids = map[string]uint32{}
	}
	if _, ok := c.uids[name]; !ok {
		c.uids[name] = c.opts.UIDBase + uint32(len(c.uids))
	}
	return c.uids[name]
}

func freePorts() (int, int, error) {
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}

func (c *Cluster) seed() string {
	for _, n := range c.Running() {
		return n.GossipAddr
	}
	return ""
}

// Nodes returns every node launched, running or not, in launch order.
func (c *Cluster) Nodes() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Node(nil), c.nodes...)
}

// Running returns the nodes whose process has not exited.
func (c *Cluster) Running() []*Node {
	var out []*Node
	for _, n := range c.Nodes() {
		if !n.Exited() {
			out = append(out, n)
		}
	}
	return out
}

// Addrs returns the RESP addresses of the running nodes.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, n := range c.Running() {
		out = append(out, n.Addr)
	}
	return out
}

// Node returns the latest node launched under name, nil if none.
func (c *Cluster) Node(name string) *Node {
	nodes := c.Nodes()
	for i := len(nodes) - 1; i >= 0; i-- {
		if nodes[i].Name == name {
			return nodes[i]
		}
	}
	return nil
}

// WaitAgreed polls until every running node reports a ring of all running
// nodes with the same epoch, holds its lease and knows the others route
// with that ring.
func (c *Cluster) WaitAgreed(ctx context.Context) error {
	return c.WaitAgreedOn(ctx, c.Running)
}

// WaitAgreedOn polls until the nodes nodes() returns agree on a ring of
// exactly them (for example the majority side of a partition).
func (c *Cluster) WaitAgreedOn(ctx context.Context, nodes func() []*Node) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	for {
		run := nodes()
		ok, why := agreed(ctx, run)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("launch: %d nodes did not agree on the ring: %s", len(run), why)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func agreed(ctx context.Context, nodes []*Node) (bool, string) {
	epoch := ""
	for _, n := range nodes {
		info, err := n.Info(ctx, "ringcache")
		if err != nil {
			return false, n.Name + ": " + err.Error()
		}
		if info["ringcache_members"] != strconv.Itoa(len(nodes)) {
			return false, fmt.Sprintf("%s sees %s members", n.Name, info["ringcache_members"])
		}
		if epoch != "" && info["ringcache_ring_epoch"] != epoch {
			return false, n.Name + " has another epoch"
		}
		if info["ringcache_lease"] == "false" || info["ringcache_ring_settled"] == "false" {
			return false, n.Name + " holds no lease or its ring is settling"
		}
		if info["ringcache_joined"] == "false" {
			return false, n.Name + " has not joined (or waits for every member to route with its ring)"
		}
		if v := info["ringcache_handoff_in_slots"]; v != "" && v != "0" {
			return false, n.Name + " is still copying " + v + " slots (hand-off)"
		}
		epoch = info["ringcache_ring_epoch"]
	}
	return true, ""
}

// Info returns the fields of an INFO section of n.
func (n *Node) Info(ctx context.Context, section string) (map[string]string, error) {
	rdb := redis.NewClient(&redis.Options{Addr: n.Addr, Password: n.password, MaxRetries: -1, DialTimeout: time.Second,
		ReadTimeout: time.Second, PoolSize: 1})
	defer rdb.Close()
	s, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

func (n *Node) waitPing(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		_, err := n.Info(ctx, "server")
		if err == nil {
			return nil
		}
		select {
		case <-n.exited:
			return fmt.Errorf("exited: %v", n.err)
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Pid returns the node's process id.
func (n *Node) Pid() int { return n.cmd.Process.Pid }

// Exited reports whether the process has exited.
func (n *Node) Exited() bool {
	select {
	case <-n.exited:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (n *Node) Kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

// Pause sends SIGSTOP: the process stays alive but answers nothing (its
// sockets accept connections into the backlog) until Resume.
// It returns once the kernel reports the process stopped: SIGSTOP is
// delivered asynchronously, and a node still running for a moment after
// the signal would answer a request the caller means to be unanswered.
func (n *Node) Pause() error {
	if err := n.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	stat := fmt.Sprintf("/proc/%d/stat", n.cmd.Process.Pid)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(stat); err != nil || stopped(b) {
			return nil // no /proc (not Linux): the signal is all we can do
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("launch: %s not stopped 5s after SIGSTOP", n.Name)
}

// stopped reports whether a /proc/PID/stat line shows state T (stopped).
// The state follows the command name, which is in parentheses and may
// itself contain spaces and parentheses.
func stopped(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'T'
}

// Resume sends SIGCONT to a paused node.
func (n *Node) Resume() error { return n.cmd.Process.Signal(syscall.SIGCONT) }

// Port returns the node's RESP port.
func (n *Node) Port() int { return portOf(n.Addr) }

// GossipPort returns the node's gossip (serf) port, TCP and UDP.
func (n *Node) GossipPort() int { return portOf(n.GossipAddr) }

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	return port
}

// Stop sends SIGTERM (graceful: leave, drain) and waits up to timeout for
// the process to exit; it returns the exit error (nil for exit 0).
func (n *Node) Stop(timeout time.Duration) error {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
		return n.err
	case <-time.After(timeout):
		n.Kill()
		return fmt.Errorf("launch: %s did not exit within %v of SIGTERM", n.Name, timeout)
	}
}

// Close kills every running node.
func (c *Cluster) Close() {
	for _, n := range c.Running() {
		n.Kill()
	}
}
