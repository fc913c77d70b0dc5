package client

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/ring"
)

// getCalls is a node's cmdstat_get calls (INFO commandstats).
func getCalls(t testing.TB, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_get:calls="); ok {
			n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
			return n
		}
	}
	return 0
}

// withReplicas gives every slot of c the other nodes of tc as replicas, in
// seed order (the server does not list replicas yet), and rebuilds c's
// table.
func withReplicas(t testing.TB, c *Client, tc *testCluster) {
	t.Helper()
	h := func(slot int, primary string) []string {
		return slices.DeleteFunc(slices.Clone(tc.seeds), func(a string) bool { return a == primary })
	}
	c.testReplicaSets.Store(&h)
	if err := c.router.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.router.replicaSet(0)) != len(tc.seeds) {
		t.Fatalf("replica set of slot 0: %d nodes, want %d", len(c.router.replicaSet(0)), len(tc.seeds))
	}
}

// readsPerNode runs Gets of keys (owned by the first node) through c and
// returns the reads each node served as the client counted them and the
// GETs each node executed (commandstats deltas), in seed order. In forward
// mode a replica that does not hold the slot forwards the GET to the
// primary, which executes (and counts) it; the forwarder's commandstats
// do not count it.
func readsPerNode(t *testing.T, tc *testCluster, c *Client, keys []string) (served, executed []int64) {
	t.Helper()
	before, sBefore := make([]int64, len(tc.nodes)), make([]int64, len(tc.nodes))
	for i, n := range tc.nodes {
		before[i], sBefore[i] = getCalls(t, n), c.router.current().nodes[tc.seeds[i]].load.served.Load()
	}
	for _, k := range keys {
		r, err := c.Get(context.Background(), k)
		if err != nil || string(r.Value) != "v-"+k {
			t.Fatalf("Get(%s) = %q %v", k, r.Value, err)
		}
	}
	served, executed = make([]int64, len(tc.nodes)), make([]int64, len(tc.nodes))
	for i, n := range tc.nodes {
		executed[i] = getCalls(t, n) - before[i]
		served[i] = c.router.current().nodes[tc.seeds[i]].load.served.Load() - sBefore[i]
	}
	return served, executed
}

// TestReadPolicySelection: which node receives each read, per policy,
// asserted through the nodes' commandstats: primary only; round-robin
// evenly over the two replicas; same-zone the replica in the client's
// zone; lowest-latency the member not measured slow, but for one read in
// exploreEvery;
// least-outstanding the primary when nothing is in flight (sequential reads).
func TestReadPolicySelection(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	probe := newClient(t, tc, nil)
	const n = 60
	keys := ownedBy(probe, tc.seeds[0], "rp:", n)
	for _, k := range keys {
		tc.raw.Set(ctx, k, "v-"+k, 0)
	}
	cases := []struct {
		policy ReadPolicy
		mod    func(*Client)
		check  func(got []int64) bool
	}{
		{ReadPrimary, nil, func(g []int64) bool { return g[0] == n && g[1] == 0 && g[2] == 0 }},
		{ReadRoundRobin, nil, func(g []int64) bool { return g[0] == 0 && g[1] == n/2 && g[2] == n/2 }},
		{ReadSameZone, nil, func(g []int64) bool { return g[0] == 0 && g[1] == 0 && g[2] == n }},
		{ReadLowestLatency, func(c *Client) {
			for _, a := range tc.seeds[:2] { // measured slow: only the third is left
				c.router.current().nodes[a].load.ewma.Store(int64(1e12))
			}
		}, func(g []int64) bool { // one read in 16 explores: 60/16 = 3 or 4 spread over the set
			return g[0]+g[1] <= n/exploreEvery+1 && g[2] >= n-n/exploreEvery-1
		}},
		{ReadLeastOutstanding, nil, func(g []int64) bool { return g[0] == n && g[1] == 0 && g[2] == 0 }},
	}
	for _, tcase := range cases {
		t.Run(tcase.policy.String(), func(t *testing.T) {
			c := newClient(t, tc, func(cfg *Config) {
				cfg.L1.Disabled, cfg.ReadPolicy = true, tcase.policy
				cfg.Zone, cfg.NodeZones = "z3", map[string]string{tc.seeds[0]: "z1", tc.seeds[1]: "z2", tc.seeds[2]: "z3"}
			})
			withReplicas(t, c, tc)
			if tcase.mod != nil {
				tcase.mod(c)
			}
			served, executed := readsPerNode(t, tc, c, keys)
			t.Logf("%v: reads served per node (primary first) %v, GETs executed %v", tcase.policy, served, executed)
			// Until replicas read their own copy, the primary executes
			// every read: a replica forwards it.
			if !tcase.check(served) || executed[0] != n {
				t.Fatalf("%v: served %v, executed %v", tcase.policy, served, executed)
			}
		})
	}
}

// TestReadFailsOverToReplica: with the primary cut off (its breaker open),
// reads are served by a replica, whatever the policy; without replicas they
// fail over to the origin path (here: an error, no loader).
func TestReadFailsOverToReplica(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	c := newClient(t, tc, func(cfg *Config) { cfg.L1.Disabled = true })
	keys := ownedBy(c, tc.seeds[0], "fo:", 20)
	for _, k := range keys {
		tc.raw.Set(ctx, k, "v-"+k, 0)
	}
	withReplicas(t, c, tc)
	primary := c.router.current().nodes[tc.seeds[0]]
	for range c.cfg.Breaker.ConsecutiveFailures {
		_, _ = primary.br.Execute(func() (any, error) { return nil, fmt.Errorf("cut off") })
	}
	for _, k := range keys {
		r, err := c.Get(ctx, k)
		if err != nil || string(r.Value) != "v-"+k {
			t.Fatalf("Get(%s) with the primary's breaker open: %q %v", k, r.Value, err)
		}
	}
	if got := c.Stats().FailoverReads; got != int64(len(keys)) {
		t.Fatalf("%d failover reads, want %d", got, len(keys))
	}
}

// TestReplicaMovedReadsPrimary: in moved mode a node that does not own the
// slot answers -MOVED to a READONLY read; the SDK then reads the primary,
// and every read returns the right value.
func TestReplicaMovedReadsPrimary(t *testing.T) {
	lc := launch.StartT(t, launch.Options{N: 3, Redirect: "moved"})
	tc := &testCluster{name: "moved", seeds: lc.Addrs(), lc: lc}
	tc.connect(t)
	ctx := context.Background()
	c := newClient(t, tc, func(cfg *Config) { cfg.L1.Disabled, cfg.ReadPolicy = true, ReadRoundRobin })
	keys := ownedBy(c, tc.seeds[0], "mv:", 20)
	for _, k := range keys {
		if err := c.Set(ctx, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	withReplicas(t, c, tc)
	served, executed := readsPerNode(t, tc, c, keys)
	st := c.Stats()
	t.Logf("served %v, executed %v; replica reads %d, not served %d", served, executed, st.ReplicaReads, st.ReplicaNotServed)
	if st.ReplicaNotServed != int64(len(keys)) || st.ReplicaReads != 0 || served[0] != int64(len(keys)) || executed[0] != int64(len(keys)) {
		t.Fatalf("not served %d, replica reads %d, primary served %d executed %d; want %d, 0, %d, %d",
			st.ReplicaNotServed, st.ReplicaReads, served[0], executed[0], len(keys), len(keys), len(keys))
	}
}

// TestReplicaSetsFromClusterShards: on a real 3-node cluster with
// --replicas 1 and no injected replica sets, the SDK reads every slot's
// replica set from CLUSTER SHARDS (the owner, then its replica, another
// node), and round-robin reads of one node's keys are served by the nodes
// replicating them, each reading its own copy (READONLY).
func TestReplicaSetsFromClusterShards(t *testing.T) {
	lc := launch.StartT(t, launch.Options{N: 3, Args: []string{"--replicas", "1"}})
	tc := &testCluster{name: "replicas", seeds: lc.Addrs(), lc: lc}
	tc.connect(t)
	ctx := context.Background()
	c := newClient(t, tc, func(cfg *Config) { cfg.L1.Disabled, cfg.ReadPolicy = true, ReadRoundRobin })
	replicas := map[string]bool{}
	for s := range ring.SlotCount {
		set := c.router.replicaSet(s)
		if len(set) != 2 || set[0] != c.router.nodeFor(s) || set[1] == set[0] {
			t.Fatalf("slot %d: replica set %v, want its primary then another node", s, set)
		}
		if set[0].addr == tc.seeds[0] {
			replicas[set[1].addr] = true
		}
	}
	if len(replicas) != 2 {
		t.Fatalf("%s's slots are replicated by %v, want both other nodes", tc.seeds[0], replicas)
	}
	keys := ownedBy(c, tc.seeds[0], "rs:", 40)
	owner := redis.NewClient(&redis.Options{Addr: tc.seeds[0]})
	defer owner.Close()
	conn := owner.Conn() // WAIT counts this connection's writes
	defer conn.Close()
	for _, k := range keys {
		if err := conn.Set(ctx, k, "v-"+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := conn.Wait(ctx, 1, 20*time.Second).Result(); err != nil || n < 1 {
		t.Fatalf("WAIT 1: %d %v", n, err)
	}
	served, executed := readsPerNode(t, tc, c, keys)
	st := c.Stats()
	t.Logf("served %v, executed %v; replica reads %d, not served %d", served, executed, st.ReplicaReads, st.ReplicaNotServed)
	if served[1]+served[2] == 0 || st.ReplicaReads == 0 || executed[1]+executed[2] == 0 {
		t.Fatalf("no read served by a replica: served %v, executed %v, replica reads %d", served, executed, st.ReplicaReads)
	}
}
