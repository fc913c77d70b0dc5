package cacheserver_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/ring"
)

// TestClusterShardsAndNodesListReplicas: with --replicas 1, CLUSTER SHARDS
// (read with go-redis) has one shard per owner and replica, naming for
// every slot its owner (role master) then its replica (role replica), as
// the ring places them, and each node's streams to its replicas are online
// once synced; CLUSTER NODES lists each member once as the master of its
// slots, then a "slave <primary-id>" line per member and primary it
// replicates.
func TestClusterShardsAndNodesListReplicas(t *testing.T) {
	c := cachetest.Start(t, withReplicas(cachetest.Options{N: 3}))
	waitReplicated(t, c)
	ctx := context.Background()
	n0 := c.Nodes[0]
	rdb := nodeClient(t, n0.Addr, 3)
	r := n0.Srv.Ring()
	id := func(m *ring.Member) string {
		sum := sha1.Sum([]byte(m.Name))
		return hex.EncodeToString(sum[:])
	}
	var shards []redis.ClusterShard
	poll.Until(t, 20*time.Second, "CLUSTER SHARDS with every replica online", func() bool {
		var err error
		if shards, err = rdb.ClusterShards(ctx).Result(); err != nil {
			t.Fatal(err)
		}
		for _, sh := range shards {
			for _, n := range sh.Nodes {
				if n.Health != "online" {
					return false
				}
			}
		}
		return true
	})
	if len(shards) != 6 {
		t.Errorf("%d shards, want 6 (3 owners x 2 replicas)", len(shards))
	}
	var seen [ring.SlotCount]bool
	for _, sh := range shards {
		if len(sh.Nodes) != 2 || sh.Nodes[0].Role != "master" || sh.Nodes[1].Role != "replica" {
			t.Fatalf("shard nodes %+v: want a master then a replica", sh.Nodes)
		}
		if sh.Nodes[0].ID == sh.Nodes[1].ID || sh.Nodes[1].Port == 0 || sh.Nodes[1].IP == "" {
			t.Fatalf("shard nodes %+v", sh.Nodes)
		}
		for _, rg := range sh.Slots {
			for s := rg.Start; s <= rg.End; s++ {
				if seen[s] {
					t.Fatalf("slot %d in two shards", s)
				}
				seen[s] = true
				if sh.Nodes[0].ID != id(r.Replica(int(s), 0)) || sh.Nodes[1].ID != id(r.Replica(int(s), 1)) {
					t.Fatalf("slot %d: shard says %s then %s, ring says %s then %s", s,
						sh.Nodes[0].ID, sh.Nodes[1].ID, r.Replica(int(s), 0).Name, r.Replica(int(s), 1).Name)
				}
			}
		}
	}
	for s, ok := range seen {
		if !ok {
			t.Fatalf("slot %d in no shard", s)
		}
	}

	text, err := rdb.ClusterNodes(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	masters, slaves := map[string]bool{}, map[[2]string]bool{}
	for i, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) < 8:
			t.Fatalf("line %q", l)
		case i < 3 && strings.HasSuffix(f[2], "master") && f[3] == "-" && len(f) > 8:
			masters[f[0]] = true
		case i >= 3 && f[2] == "slave" && f[3] != f[0] && len(f) == 8:
			slaves[[2]string{f[0], f[3]}] = true
		default:
			t.Fatalf("CLUSTER NODES line %d %q: want 3 master lines with slots, then slave lines", i, l)
		}
	}
	if len(masters) != 3 || len(slaves) != 6 || len(lines) != 9 {
		t.Fatalf("CLUSTER NODES:\n%s\nwant 3 masters and 6 slave lines (each member replicates both others)", text)
	}
	for p := range slaves {
		if !masters[p[0]] || !masters[p[1]] {
			t.Fatalf("slave line %v names an unknown node", p)
		}
	}
}
