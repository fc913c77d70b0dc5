package cacheserver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/internal/redistest"
)

// vethPair is a network namespace joined to this one by a veth pair: Host
// is this side's address (non-loopback), Exec runs a command inside the
// namespace, whose only route is to Host.
type vethPair struct {
	Host, Peer string
	ns         string
}

// newVethPair creates the namespace and the pair on a random 10.251.x.y/30
// and removes both when the test ends. It skips without root or ip(8).
func newVethPair(t *testing.T) *vethPair {
	t.Helper()
	redistest.Binary(t, "ip")
	if os.Geteuid() != 0 {
		t.Skip("*** needs root to create a network namespace ***")
	}
	id := strconv.Itoa(os.Getpid()%10000) + strconv.Itoa(rand.IntN(100))
	b3, b4 := rand.IntN(256), rand.IntN(64)*4
	v := &vethPair{ns: "rcsec" + id, Host: fmt.Sprintf("10.251.%d.%d", b3, b4+1), Peer: fmt.Sprintf("10.251.%d.%d", b3, b4+2)}
	host, peer := "rcsh"+id, "rcsp"+id
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", v.ns).Run()
		_ = exec.Command("ip", "link", "del", host).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", v.ns},
		{"link", "add", host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", v.ns},
		{"addr", "add", v.Host + "/30", "dev", host},
		{"link", "set", host, "up"},
		{"netns", "exec", v.ns, "ip", "addr", "add", v.Peer + "/30", "dev", peer},
		{"netns", "exec", v.ns, "ip", "link", "set", peer, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	return v
}

// cli runs redis-cli inside the namespace against addr with stdin.
func (v *vethPair) cli(t *testing.T, addr, stdin string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("ip", "netns", "exec", v.ns, redistest.Binary(t, "redis-cli"), "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader(stdin)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// serveOn starts a server listening on each host (port 0) and returns the
// listeners' addresses.
func serveOn(t *testing.T, cfg cacheserver.Config, hosts ...string) []string {
	t.Helper()
	srv, err := cacheserver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	done := make(chan error, len(hosts))
	for _, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, "0"))
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		go func() { done <- srv.Serve(ln) }()
	}
	t.Cleanup(func() {
		_ = srv.Close()
		for range hosts {
			<-done
		}
	})
	return addrs
}

// TestProtectedModeDeniesNonLoopbackClients runs redis-cli from a network
// namespace against a node listening on a non-loopback address of a veth
// pair, and against redis-server 7.0 on the same address: both answer the
// same DENIED text; a loopback client is served; with protected-mode no or
// a password the outside client is let in.
func TestProtectedModeDeniesNonLoopbackClients(t *testing.T) {
	v := newVethPair(t)
	red := redistest.StartServer(t, "--bind", v.Host, "127.0.0.1")
	want := v.cli(t, net.JoinHostPort(v.Host, strconv.Itoa(red.Port)), "PING\n")
	if !strings.HasPrefix(want, "DENIED Redis is running in protected mode") {
		t.Fatalf("redis-server's answer from outside: %q", want)
	}
	addrs := serveOn(t, cacheserver.DefaultConfig(), v.Host, "127.0.0.1")
	if got := v.cli(t, addrs[0], "PING\n"); got != want {
		t.Fatalf("outside client got %q, redis-server answers %q", got, want)
	}
	local := nodeClient(t, addrs[1], 2)
	ctx := context.Background()
	if err := local.Ping(ctx).Err(); err != nil {
		t.Fatalf("loopback client: %v", err)
	}
	if got, err := local.ConfigGet(ctx, "protected-mode").Result(); err != nil || got["protected-mode"] != "yes" {
		t.Fatalf("CONFIG GET protected-mode: %v %v", got, err)
	}
	if err := local.ConfigSet(ctx, "protected-mode", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if got := v.cli(t, addrs[0], "PING\n"); got != "PONG\n" {
		t.Fatalf("outside client with protected-mode no: %q", got)
	}
	_ = local.ConfigSet(ctx, "protected-mode", "yes")
	if err := local.ConfigSet(ctx, "requirepass", "pw").Err(); err != nil {
		t.Fatal(err)
	}
	if got := v.cli(t, addrs[0], "PING\nAUTH pw\nPING\n"); got != "NOAUTH Authentication required.\n\nOK\nPONG\n" {
		t.Fatalf("outside client with a password set: %q", got)
	}
}

// TestProtectedModeLetsPeersProve: a clustered node with a cluster secret
// and no password lets an outside connection run RINGCACHE CHALLENGE (a
// peer proving itself) but answers DENIED to anything else and closes.
func TestProtectedModeLetsPeersProve(t *testing.T) {
	v := newVethPair(t)
	cfg := cacheserver.DefaultConfig()
	cc := cacheserver.DefaultClusterConfig()
	cc.GossipAddr, cc.ClusterSecret, cc.FastGossip = "127.0.0.1:0", []byte(clusterSecret), true
	cfg.Cluster = &cc
	addrs := serveOn(t, cfg, v.Host)
	got := strings.Split(v.cli(t, addrs[0], "RINGCACHE CHALLENGE\nPING\nPING\n"), "\n")
	if len(got) < 2 || len(got[0]) != 32 || !strings.HasPrefix(got[1], "DENIED Redis is running in protected mode") {
		t.Fatalf("outside peer candidate got %q", got)
	}
	closed := slices.ContainsFunc(got, func(l string) bool {
		return l == "Error: Server closed the connection" || l == "Error: Connection reset by peer"
	})
	if !closed {
		t.Fatalf("connection not closed after DENIED: %q", got)
	}
}
