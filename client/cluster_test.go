package client

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/ring"
)

// testCluster is a real cluster the SDK's tests run against: a 3-node
// ringcache cluster (cacheserver processes, forward mode) by default, or a
// one-node Redis Cluster (redis-server) for the compatibility subset.
type testCluster struct {
	name  string
	seeds []string
	// raw reads and writes behind the SDK's back: a plain go-redis client
	// of the first node (ringcache forwards each key to its owner).
	raw *redis.Client
	// nodes holds one plain client per node, for per-node commands
	// (FLUSHALL, CLIENT KILL), in the order of seeds.
	nodes []*redis.Client
	lc    *launch.Cluster // nil for redis-server
}

// backend names a way to start a testCluster.
type backend struct {
	name  string
	start func(testing.TB) *testCluster
}

// backends is the table the compatibility subset runs over: the SDK must
// stay correct against ringcache and against real Redis.
var backends = []backend{
	{"ringcache3", startCluster},
	{"redis", startRedisCluster},
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, tc *testCluster)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.start(t)) })
	}
}

// startCluster starts a 3-node ringcache cluster of real cacheserver
// processes and waits until every node agrees on the ring.
func startCluster(t testing.TB) *testCluster {
	t.Helper()
	lc := launch.StartT(t, launch.Options{N: 3})
	tc := &testCluster{name: "ringcache3", seeds: lc.Addrs(), lc: lc}
	tc.connect(t)
	return tc
}

// startRedisCluster starts a real one-node Redis Cluster owning every slot:
// the SDK speaks only standard commands (CLUSTER SHARDS, CLIENT TRACKING).
func startRedisCluster(t testing.TB) *testCluster {
	t.Helper()
	dir := t.TempDir()
	srv := redistest.StartServer(t, "--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf")
	if r, err := srv.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil || r != "+OK" {
		t.Fatalf("ADDSLOTSRANGE: %q %v", r, err)
	}
	tc := &testCluster{name: "redis", seeds: []string{srv.Addr}}
	tc.connect(t)
	poll.Until(t, 10*time.Second, "cluster_state:ok", func() bool {
		info, _ := tc.raw.ClusterInfo(context.Background()).Result()
		return strings.Contains(info, "cluster_state:ok")
	})
	return tc
}

func (tc *testCluster) connect(t testing.TB) {
	for _, a := range tc.seeds {
		rdb := redis.NewClient(&redis.Options{Addr: a})
		t.Cleanup(func() { rdb.Close() })
		tc.nodes = append(tc.nodes, rdb)
	}
	tc.raw = tc.nodes[0]
}

// flushAll empties every node (FLUSHALL is per node, as in Redis Cluster).
func (tc *testCluster) flushAll(t testing.TB) {
	t.Helper()
	for _, n := range tc.nodes {
		if err := n.FlushAll(context.Background()).Err(); err != nil {
			t.Fatalf("FLUSHALL: %v", err)
		}
	}
}

// killClients closes, from the server side as a network fault would, every
// normal connection of every node but the killing one.
func (tc *testCluster) killClients(t testing.TB) {
	t.Helper()
	for _, n := range tc.nodes {
		if err := n.ClientKillByFilter(context.Background(), "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
			t.Fatalf("CLIENT KILL: %v", err)
		}
	}
}

// redisCLI runs the real redis-cli against addr with args and returns its
// trimmed output.
func redisCLI(cli, addr string, args ...string) (string, error) {
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command(cli, append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// ownedBy returns n keys with the given prefix whose slot c routes to addr.
func ownedBy(c *Client, addr, prefix string, n int) []string {
	var out []string
	for i := 0; len(out) < n && i < 1_000_000; i++ {
		k := prefix + strconv.Itoa(i)
		if nd := c.router.nodeFor(ring.KeySlot(k)); nd != nil && nd.addr == addr {
			out = append(out, k)
		}
	}
	return out
}
