package cacheserver_test

import (
	"context"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/ring"
)

// testKeys returns n distinct keys spread over the slots.
func testKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%06d", i)
	}
	return keys
}

func valueOf(key string) string { return "value-of-" + key }

func nodeClient(t testing.TB, addr string, proto int) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func clusterClient(t testing.TB, addrs []string, proto int) *redis.ClusterClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Protocol: proto})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func addrs(c *cachetest.Cluster) []string {
	var out []string
	for _, n := range c.Running() {
		out = append(out, n.Addr)
	}
	return out
}

// writeKeys sets every key to valueOf(key), pipelined.
func writeKeys(t testing.TB, rdb redis.Cmdable, keys []string) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(keys); i += 500 {
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys[i:min(i+500, len(keys))] {
				p.Set(ctx, k, valueOf(k), 0)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("pipelined SET: %v (first: %v)", err, cmds[0].Err())
		}
	}
}

// readKeys GETs every key, pipelined, and fails on any wrong value.
func readKeys(t testing.TB, rdb redis.Cmdable, keys []string, what string) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(keys); i += 500 {
		batch := keys[i:min(i+500, len(keys))]
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Get(ctx, k)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: pipelined GET: %v", what, err)
		}
		for j, cmd := range cmds {
			if got := cmd.(*redis.StringCmd).Val(); got != valueOf(batch[j]) {
				t.Fatalf("%s: GET %s = %q, want %q", what, batch[j], got, valueOf(batch[j]))
			}
		}
	}
}

// assertPlacement checks with CLUSTER COUNTKEYSINSLOT that every key lives
// on the node the ring names, and nowhere else but on the slot's replicas.
func assertPlacement(t testing.TB, c *cachetest.Cluster, keys []string) {
	t.Helper()
	ctx := context.Background()
	perSlot := map[int]int64{}
	for _, k := range keys {
		perSlot[ring.KeySlot(k)]++
	}
	r := c.Running()[0].Srv.Ring()
	for _, n := range c.Running() {
		rdb := nodeClient(t, n.Addr, 2)
		slots := make([]int, 0, len(perSlot))
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for s := range perSlot {
				slots = append(slots, s)
				p.ClusterCountKeysInSlot(ctx, s)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("COUNTKEYSINSLOT on %s: %v", n.Name, err)
		}
		for i, cmd := range cmds {
			s := slots[i]
			want := int64(0)
			if r.SlotOwner(s).Name == n.Name {
				want = perSlot[s]
			}
			got := cmd.(*redis.IntCmd).Val()
			if r.HoldsReplica(n.Name, s) && got <= perSlot[s] {
				continue // a replica's copy (replication is asynchronous)
			}
			if got != want {
				t.Fatalf("slot %d on %s: %d keys, want %d (owner %s)", s, n.Name, got, want, r.SlotOwner(s).Name)
			}
		}
	}
}

func TestClusterForwardAnyNodeAnswersAnyKey(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 3})
	keys := testKeys(3000) // ~1000 per node: every node forwards and answers
	writeKeys(t, nodeClient(t, c.Nodes[0].Addr, 2), keys)
	for _, n := range c.Nodes[1:] {
		for _, proto := range []int{2, 3} {
			readKeys(t, nodeClient(t, n.Addr, proto), keys, fmt.Sprintf("%s RESP%d", n.Name, proto))
		}
	}
	assertPlacement(t, c, keys)
}

func TestClusterGoRedisClusterClient(t *testing.T) {
	for _, mode := range []string{"forward", "moved"} {
		t.Run(mode, func(t *testing.T) {
			c := cachetest.Start(t, cachetest.Options{N: 3, Redirect: mode})
			keys := testKeys(3000) // ~1000 per node
			writeKeys(t, clusterClient(t, addrs(c)[:1], 2), keys)
			for _, proto := range []int{2, 3} {
				readKeys(t, clusterClient(t, addrs(c)[1:2], proto), keys, fmt.Sprintf("ClusterClient RESP%d", proto))
			}
			assertPlacement(t, c, keys)
		})
	}
}

func TestClusterRedisCLIFollowsMoved(t *testing.T) {
	cli := redistest.Binary(t, "redis-cli")
	c := cachetest.Start(t, cachetest.Options{N: 3, Redirect: "moved"})
	keys := testKeys(2000) // every node owns hundreds: redirections both ways
	var in strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&in, "SET %s %s\n", k, valueOf(k))
	}
	runCLI(t, cli, in.String(), "-c", "-p", port(c.Nodes[0].Addr))
	in.Reset()
	for _, k := range keys {
		fmt.Fprintf(&in, "GET %s\n", k)
	}
	for _, n := range c.Nodes[1:] {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(runCLI(t, cli, in.String(), "-c", "-p", port(n.Addr))), "\n") {
			if !strings.HasPrefix(l, "-> Redirected to slot") {
				out = append(out, l)
			}
		}
		if len(out) != len(keys) {
			t.Fatalf("redis-cli -c on %s answered %d lines for %d GETs", n.Name, len(out), len(keys))
		}
		for i, k := range keys {
			if out[i] != valueOf(k) {
				t.Fatalf("redis-cli -c on %s: GET %s = %q", n.Name, k, out[i])
			}
		}
	}
	// Without -c, redis-cli shows the redirection itself.
	k := keys[0]
	owner := c.Nodes[0].Srv.Ring().Owner(k)
	for _, n := range c.Nodes {
		got := strings.TrimSpace(runCLI(t, cli, "", "-p", port(n.Addr), "GET", k))
		want := valueOf(k)
		if n.Name != owner.Name {
			want = fmt.Sprintf("MOVED %d %s", ring.KeySlot(k), owner.Addr)
		}
		if !strings.Contains(got, want) {
			t.Fatalf("redis-cli on %s: GET %s = %q, want %q", n.Name, k, got, want)
		}
	}
	assertPlacement(t, c, keys)
}

func runCLI(t testing.TB, cli, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(cli, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

func TestClusterRedisBenchmark(t *testing.T) {
	bench := redistest.Binary(t, "redis-benchmark")
	for _, mode := range []string{"moved", "forward"} {
		t.Run(mode, func(t *testing.T) {
			c := cachetest.Start(t, cachetest.Options{N: 3, Redirect: mode})
			cmd := exec.Command(bench, "--cluster", "-p", port(c.Nodes[0].Addr), "-t", "set,get", "-n", "5000", "-q") // routing check, not a figure
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("redis-benchmark --cluster: %v\n%s", err, out)
			}
			s := string(out)
			if strings.Contains(strings.ToLower(s), "error") || !strings.Contains(s, "SET:") || !strings.Contains(s, "GET:") {
				t.Fatalf("redis-benchmark --cluster output:\n%s", s)
			}
			for _, n := range c.Nodes { // redis-benchmark tags its keys for every node
				if nodeClient(t, n.Addr, 2).DBSize(context.Background()).Val() == 0 {
					t.Fatalf("the benchmark wrote no key on %s", n.Name)
				}
			}
		})
	}
}

// TestClusterSplitMatchesOneRedis: in forward mode, multi-key commands
// whose keys live on several nodes answer exactly what one Redis answers.
func TestClusterSplitMatchesOneRedis(t *testing.T) {
	ref := redistest.StartServer(t)
	c := cachetest.Start(t, cachetest.Options{N: 3})
	ctx := context.Background()
	keys := testKeys(40)
	seq := [][]any{
		{"MSET", keys[0], "a", keys[1], "b", keys[2], "c", keys[3], "d", keys[4], "e", keys[5], "f"},
		{"MGET", keys[0], keys[1], keys[6], keys[2], keys[3], keys[7], keys[4], keys[5], keys[0]},
		{"EXISTS", keys[0], keys[0], keys[1], keys[6], keys[2], keys[3]},
		{"TOUCH", keys[0], keys[1], keys[6], keys[5]},
		{"DEL", keys[0], keys[6], keys[2], keys[2], keys[4]},
		{"MGET", keys[0], keys[1], keys[2], keys[3], keys[4], keys[5]},
		{"UNLINK", keys[1], keys[3], keys[8], keys[9]},
		{"MGET", keys[0], keys[1], keys[2], keys[3], keys[4], keys[5]},
		{"MSET", keys[10], "x"},
		{"MSET", keys[11], "y", keys[12]},
		{"DEL", keys[10], keys[11], keys[12], keys[13], keys[14], keys[15], keys[16]},
	}
	for _, proto := range []int{2, 3} {
		want := nodeClient(t, ref.Addr, proto)
		for _, n := range c.Nodes {
			got := nodeClient(t, n.Addr, proto)
			for _, cmd := range seq {
				w, werr := want.Do(ctx, cmd...).Result()
				g, gerr := got.Do(ctx, cmd...).Result()
				if !reflect.DeepEqual(w, g) || fmt.Sprint(werr) != fmt.Sprint(gerr) {
					t.Fatalf("RESP%d via %s: %v\n got  %#v, %v\n want %#v, %v", proto, n.Name, cmd, g, gerr, w, werr)
				}
			}
		}
	}
}

func TestClusterMovedModeCrossSlot(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 3, Redirect: "moved"})
	ctx := context.Background()
	for _, n := range c.Nodes {
		for _, cmd := range [][]any{{"MGET", "a", "b"}, {"MSET", "a", "1", "b", "2"}, {"DEL", "a", "b"}} {
			err := nodeClient(t, n.Addr, 2).Do(ctx, cmd...).Err()
			if err == nil || err.Error() != "CROSSSLOT Keys in request don't hash to the same slot" {
				t.Fatalf("%s: %v = %v, want CROSSSLOT", n.Name, cmd, err)
			}
		}
		// Keys with one hash tag are one slot: fine on its owner, MOVED elsewhere.
		err := nodeClient(t, n.Addr, 2).Do(ctx, "MSET", "{t}a", "1", "{t}b", "2").Err()
		owner := n.Srv.Ring().Owner("{t}a")
		if want := fmt.Sprintf("MOVED %d %s", ring.KeySlot("t"), owner.Addr); n.Name == owner.Name && err != nil ||
			n.Name != owner.Name && (err == nil || err.Error() != want) {
			t.Fatalf("%s: MSET {t}a {t}b = %v (owner %s)", n.Name, err, owner.Name)
		}
	}
}
