package cacheserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/promtest"
	"github.com/ringcache/ringcache/internal/redistest"
)

// adminNode is a Server with its admin port, run by the test.
type adminNode struct {
	srv  *cacheserver.Server
	addr string // RESP
	done chan error
}

// startAdminNode serves cfg with an admin server on a free port; the node
// is closed when the test ends unless the test shut it down.
func startAdminNode(t *testing.T, cfg cacheserver.Config) *adminNode {
	t.Helper()
	cfg.AdminAddr = "127.0.0.1:0"
	srv, err := cacheserver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &adminNode{srv: srv, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { n.done <- srv.Serve(ln) }()
	poll.Until(t, 10*time.Second, "admin server started", func() bool { return srv.AdminAddr() != nil })
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-n.done; !errors.Is(err, cacheserver.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return n
}

// get fetches path from the node's admin server.
func (n *adminNode) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return promtest.Get(t, "http://"+n.srv.AdminAddr().String()+path)
}

// metrics scrapes the node's /metrics.
func (n *adminNode) metrics(t *testing.T) promtest.Samples {
	t.Helper()
	return promtest.Scrape(t, "http://"+n.srv.AdminAddr().String()+"/metrics")
}

func TestAdminMetricsCountCommands(t *testing.T) {
	cfg := cacheserver.DefaultConfig()
	cfg.Store.MaxMemory = 64 << 20
	n := startAdminNode(t, cfg)
	rdb := nodeClient(t, n.addr, 2)
	ctx := context.Background()
	for i := range 20 {
		if err := rdb.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 130 { // 20 hits, 110 misses
		_ = rdb.Get(ctx, "k"+strconv.Itoa(i)).Err()
	}
	_ = rdb.Do(ctx, "NOSUCHCMD").Err()
	m := n.metrics(t)
	want := map[string]float64{
		`redis_commands_total{cmd="set"}`: 20,
		`redis_commands_total{cmd="get"}`: 130,
		`redis_keyspace_hits_total`:       20,
		`redis_keyspace_misses_total`:     110,
		`redis_db_keys{db="db0"}`:         20,
		`redis_connected_clients`:         1,
		`redis_memory_max_bytes`:          64 << 20,
		`redis_errors_total{err="ERR"}`:   1,
		`ringcache_ready`:                 1,
		`ringcache_owned_slots`:           16384,
		fmt.Sprintf(`redis_build_info{go_version=%q,redis_version="7.0.15",version=%q}`,
			runtime.Version(), cacheserver.Version): 1,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	// One call in 64 per connection is timed (one connection here).
	calls, timed := m.Sum("redis_commands_total{"), m.Sum("redis_command_duration_seconds{")
	if want := float64(int(calls) / 64); calls < 150 || timed != want {
		t.Errorf("%v calls, %v timed, want %v timed", calls, timed, want)
	}
	if m["redis_memory_used_bytes"] <= 0 || m["go_goroutines"] <= 0 {
		t.Errorf("memory used %v, goroutines %v: want > 0", m["redis_memory_used_bytes"], m["go_goroutines"])
	}
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := n.metrics(t)[`redis_commands_total{cmd="get"}`]; got != 0 {
		t.Errorf("GET calls after CONFIG RESETSTAT = %v, want 0 (absent)", got)
	}
	if code, _ := n.get(t, "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without Pprof: %d, want 404", code)
	}
}

func TestAdminPprofOnlyWhenEnabled(t *testing.T) {
	cfg := cacheserver.DefaultConfig()
	cfg.Pprof = true
	n := startAdminNode(t, cfg)
	if code, body := n.get(t, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with Pprof: %d %.100q", code, body)
	}
}

// clusterConfig is a fast-gossip cluster config for admin tests.
func adminClusterConfig(name, gossip string, join ...string) cacheserver.Config {
	cfg := cacheserver.DefaultConfig()
	cc := cacheserver.DefaultClusterConfig()
	cc.NodeName, cc.GossipAddr, cc.Join, cc.FastGossip = name, gossip, join, true
	cc.LeaveDrain = 200 * time.Millisecond
	cfg.Cluster = &cc
	return cfg
}

// TestAdminReadyz checks /readyz through a node's life: 503 while it has
// not joined (its seed is not up yet), 200 once joined, 503 while it
// drains in Shutdown (from its start, while it still serves); /livez is 200 throughout, and the admin port closes
// when Shutdown returns.
func TestAdminReadyz(t *testing.T) {
	seed := net.JoinHostPort("127.0.0.1", strconv.Itoa(redistest.FreePort(t)))
	cfg := adminClusterConfig("joiner", "127.0.0.1:0", seed)
	cfg.Cluster.LeaveDrain = 2 * time.Second // the drain window the test observes
	b := startAdminNode(t, cfg)
	poll.Until(t, 10*time.Second, "/readyz 503 not joined", func() bool {
		code, body := b.get(t, "/readyz")
		if code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz before join: %d %q, want 503", code, body)
		}
		return strings.Contains(body, "not joined")
	})
	if code, _ := b.get(t, "/livez"); code != http.StatusOK {
		t.Fatalf("/livez before join: %d", code)
	}
	if got := b.metrics(t)["ringcache_ready"]; got != 0 {
		t.Fatalf("ringcache_ready before join = %v", got)
	}

	a := startAdminNode(t, adminClusterConfig("seed", seed))
	poll.Until(t, 15*time.Second, "both nodes ready", func() bool {
		ca, _ := a.get(t, "/readyz")
		cb, _ := b.get(t, "/readyz")
		return ca == http.StatusOK && cb == http.StatusOK
	})

	admin := b.srv.AdminAddr().String()
	shut := make(chan error, 1)
	go func() { shut <- b.srv.Shutdown(context.Background()) }()
	poll.Until(t, 5*time.Second, "/readyz 503 while draining", func() bool {
		code, body := b.get(t, "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "draining")
	})
	// Not ready already while the node still serves (the leave drain),
	// not only once its listener closed.
	if err := nodeClient(t, b.addr, 2).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING while draining: %v (want /readyz 503 before the listener closes)", err)
	}
	if code, _ := b.get(t, "/livez"); code != http.StatusOK {
		t.Errorf("/livez while draining: %d", code)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if nc, err := net.DialTimeout("tcp", admin, time.Second); err == nil {
		nc.Close()
		t.Errorf("admin port %s still open after Shutdown", admin)
	}
}
