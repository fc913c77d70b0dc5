package cacheserver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/membership"
	"github.com/ringcache/ringcache/internal/poll"
)

func isClusterDown(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "CLUSTERDOWN The cluster is down")
}

// writeAll sets every key to val through rdb.
func writeAll(t *testing.T, rdb *redis.Client, keys []string, val string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if err := rdb.Set(ctx, k, val, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
}

// countValue GETs every key through rdb and counts the replies equal to
// val; errors other than a miss fail the test.
func countValue(t *testing.T, rdb *redis.Client, keys []string, val string) int {
	t.Helper()
	n := 0
	for _, k := range keys {
		v, err := rdb.Get(context.Background(), k).Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			t.Fatalf("GET %s: %v", k, err)
		case v == val:
			n++
		}
	}
	return n
}

// keyedCommands are one command of each routing shape, all of which an
// unleased node must refuse.
func keyedCommands(ctx context.Context, rdb *redis.Client) map[string]error {
	return map[string]error{
		"GET":    rdb.Get(ctx, "k1").Err(),
		"SET":    rdb.Set(ctx, "k1", "x", 0).Err(),
		"DEL":    rdb.Del(ctx, "k1", "k2").Err(),
		"MGET":   rdb.MGet(ctx, "k1", "k2", "k3").Err(),
		"INCR":   rdb.Incr(ctx, "n").Err(),
		"EXPIRE": rdb.Expire(ctx, "k1", time.Minute).Err(),
		"EXISTS": rdb.Exists(ctx, "k1").Err(),
	}
}

// TestPartitionedNodeFencesItself cuts one node's gossip in both directions
// (membership.Partition; its RESP port stays reachable) for longer than
// failure detection while the others take writes: the cut node answers
// CLUSTERDOWN to every keyed command within its lease, accepts no write
// after that, and once the cut heals no key returns a pre-partition value
// from any node.
func TestPartitionedNodeFencesItself(t *testing.T) {
	p := &membership.Partition{}
	c := cachetest.Start(t, cachetest.Options{N: 3, Configure: func(name string, cfg *cacheserver.Config) {
		if name == "node-3" {
			cfg.Cluster.Partition = p
		}
	}})
	a, cut := c.Nodes[0], c.Nodes[2]
	ra, rc := retryingClient(t, a.Addr), nodeClient(t, cut.Addr, 2)
	ctx := context.Background()
	keys := testKeys(300)
	writeAll(t, ra, keys, "old")
	lease := time.Duration(0)
	if info, err := rc.Info(ctx, "ringcache").Result(); err == nil {
		fmt.Sscanf(info[strings.Index(info, "ringcache_lease_ms:"):], "ringcache_lease_ms:%d", &lease)
		lease *= time.Millisecond
	}

	p.Cut(true)
	begin := time.Now()
	var down time.Duration
	accepted, refused := 0, 0
	majority := []*cachetest.Node{c.Nodes[0], c.Nodes[1]}
	for i := 0; ; i++ {
		err := rc.Set(ctx, fmt.Sprintf("w:%d", i), "during", 0).Err()
		switch {
		case isClusterDown(err) && down == 0:
			down = time.Since(begin)
			refused++
		case isClusterDown(err):
			refused++
		case err != nil:
			t.Fatalf("SET on the cut node: %v", err)
		case down != 0:
			accepted++
		}
		if down != 0 && ringLen(majority) == 2 {
			break
		}
		if time.Since(begin) > 10*time.Second {
			t.Fatalf("after 10s: cut node down after %v, majority ring sizes %d", down, ringLen(majority))
		}
	}
	detected := time.Since(begin)
	t.Logf("cut node: CLUSTERDOWN %v after the cut (lease %v); majority moved on after %v; writes accepted after CLUSTERDOWN: %d (refused %d)",
		down, lease, detected, accepted, refused)
	if accepted != 0 {
		t.Errorf("cut node accepted %d writes after answering CLUSTERDOWN", accepted)
	}
	if down > lease+200*time.Millisecond {
		t.Errorf("CLUSTERDOWN %v after the cut, want within the lease %v (+200ms to observe it)", down, lease)
	}
	for name, err := range keyedCommands(ctx, rc) {
		if !isClusterDown(err) {
			t.Errorf("cut node: %s answered %v, want CLUSTERDOWN", name, err)
		}
	}
	peer := rc.Conn() // a peer's forwarding connection
	if err := peer.Do(ctx, "RINGCACHE", "PEER").Err(); err != nil {
		t.Fatal(err)
	}
	if err := peer.Set(ctx, keys[0], "forwarded", 0).Err(); !isClusterDown(err) {
		t.Errorf("cut node: forwarded SET answered %v, want CLUSTERDOWN", err)
	}
	peer.Close()
	writeAll(t, ra, keys, "new")

	p.Cut(false)
	healed := time.Now()
	c.WaitAgreed()
	t.Logf("healed: all three serve again after %v", time.Since(healed))
	for _, n := range c.Nodes {
		rdb := retryingClient(t, n.Addr)
		stale, fresh := countValue(t, rdb, keys, "old"), countValue(t, rdb, keys, "new")
		t.Logf("read through %s after healing: %d stale, %d new, %d misses", n.Name, stale, fresh, len(keys)-stale-fresh)
		if stale != 0 {
			t.Errorf("%d keys returned their pre-partition value through %s", stale, n.Name)
		}
	}
}

// retryingClient retries CLUSTERDOWN and TRYAGAIN with backoff, for the
// majority's side of a test: on a loaded machine a healthy node can lapse
// for a moment (docs/cluster.md, Fencing); staleness is what is checked.
func retryingClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: 20})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// ringLen is the ring size the nodes agree on, or 0 when they differ.
func ringLen(nodes []*cachetest.Node) int {
	n := nodes[0].Srv.Ring().Len()
	for _, o := range nodes[1:] {
		if o.Srv.Ring().Epoch() != nodes[0].Srv.Ring().Epoch() {
			return 0
		}
	}
	return n
}

// TestExecRefusedWithoutLease: keys queued in MULTI while the node held its
// lease are not written by an EXEC that comes after the lease lapsed.
func TestExecRefusedWithoutLease(t *testing.T) {
	p := &membership.Partition{}
	c := cachetest.Start(t, cachetest.Options{N: 2, Redirect: "moved", Configure: func(name string, cfg *cacheserver.Config) {
		if name == "node-2" {
			cfg.Cluster.Partition = p
		}
	}})
	n := c.Nodes[1]
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, PoolSize: 1})
	defer rdb.Close()
	key := ""
	for i := 0; key == ""; i++ {
		if k := fmt.Sprintf("tx:%d", i); n.Srv.Ring().Owner(k).Name == n.Name {
			key = k
		}
	}
	conn := rdb.Conn()
	defer conn.Close()
	if err := conn.Process(ctx, redis.NewStatusCmd(ctx, "MULTI")); err != nil {
		t.Fatal(err)
	}
	if err := conn.Process(ctx, redis.NewStatusCmd(ctx, "SET", key, "queued")); err != nil {
		t.Fatal(err)
	}
	p.Cut(true)
	poll.Until(t, 5*time.Second, "the cut node to lose its lease", func() bool { return !n.Srv.Serving() })
	err := conn.Process(ctx, redis.NewSliceCmd(ctx, "EXEC"))
	if !isClusterDown(err) {
		t.Fatalf("EXEC after the lease lapsed: %v, want CLUSTERDOWN", err)
	}
	p.Cut(false)
	c.WaitAgreed()
	if v, err := conn.Get(ctx, key).Result(); err != redis.Nil {
		t.Fatalf("GET %s after the refused EXEC: %q %v, want a miss", key, v, err)
	}
}
