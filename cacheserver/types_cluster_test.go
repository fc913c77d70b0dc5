package cacheserver_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
)

// TestClusterTypesThroughEveryNode writes hashes, sets and lists through go-redis
// (a ClusterClient and plain clients of every node, RESP2 and RESP3) on a
// 3-node cluster in both redirect modes and reads them back through every
// node; multi-key set and list commands on one hash tag work, across slots they are
// CROSSSLOT.
func TestClusterTypesThroughEveryNode(t *testing.T) {
	for _, mode := range []string{"forward", "moved"} {
		t.Run(mode, func(t *testing.T) {
			c := cachetest.Start(t, cachetest.Options{N: 3, Redirect: mode})
			ctx := context.Background()
			cc := clusterClient(t, addrs(c)[:1], 3)
			const n = 60 // spread over the three nodes
			for i := 0; i < n; i++ {
				h, s := fmt.Sprintf("hash:%d", i), fmt.Sprintf("set:%d", i)
				retryDown(t, "HSET "+h, func() error { return cc.HSet(ctx, h, "a", i, "b", "x").Err() })
				retryDown(t, "SADD "+s, func() error { return cc.SAdd(ctx, s, "m1", i).Err() })
				retryDown(t, "HEXPIRE "+h, func() error { return cc.HExpire(ctx, h, time.Hour, "b").Err() })
				l := fmt.Sprintf("list:%d", i)
				retryDown(t, "RPUSH "+l, func() error { return cc.RPush(ctx, l, "a", i).Err() })
			}
			var clients []redis.Cmdable
			for _, proto := range []int{2, 3} {
				clients = append(clients, clusterClient(t, addrs(c)[1:2], proto))
				if mode == "forward" {
					for _, a := range addrs(c) {
						clients = append(clients, nodeClient(t, a, proto))
					}
				}
			}
			for ci, rdb := range clients {
				for i := 0; i < n; i++ {
					h, s := fmt.Sprintf("hash:%d", i), fmt.Sprintf("set:%d", i)
					all, err := rdb.HGetAll(ctx, h).Result()
					if err != nil || all["a"] != fmt.Sprint(i) || all["b"] != "x" || len(all) != 2 {
						t.Fatalf("client %d HGETALL %s = %v, %v", ci, h, all, err)
					}
					ttl, err := rdb.HTTL(ctx, h, "b").Result()
					if err != nil || len(ttl) != 1 || ttl[0] < 3500 {
						t.Fatalf("client %d HTTL %s = %v, %v", ci, h, ttl, err)
					}
					ms, err := rdb.SMembers(ctx, s).Result()
					slices.Sort(ms)
					if err != nil || !slices.Equal(ms, []string{fmt.Sprint(i), "m1"}) {
						t.Fatalf("client %d SMEMBERS %s = %v, %v", ci, s, ms, err)
					}
					if typ, err := rdb.Type(ctx, s).Result(); err != nil || typ != "set" {
						t.Fatalf("client %d TYPE %s = %v, %v", ci, s, typ, err)
					}
					l := fmt.Sprintf("list:%d", i)
					if es, err := rdb.LRange(ctx, l, 0, -1).Result(); err != nil || !slices.Equal(es, []string{"a", fmt.Sprint(i)}) {
						t.Fatalf("client %d LRANGE %s = %v, %v", ci, l, es, err)
					}
				}
			}
			retryDown(t, "SADD {g}a", func() error { return cc.SAdd(ctx, "{g}a", "1", "2").Err() })
			retryDown(t, "SADD {g}b", func() error { return cc.SAdd(ctx, "{g}b", "2", "3").Err() })
			inter, err := cc.SInter(ctx, "{g}a", "{g}b").Result()
			if err != nil || !slices.Equal(inter, []string{"2"}) {
				t.Fatalf("SINTER on one tag = %v, %v", inter, err)
			}
			retryDown(t, "RPUSH {g}l", func() error { return cc.RPush(ctx, "{g}l", "1", "2").Err() })
			if v, err := cc.LMove(ctx, "{g}l", "{g}m", "LEFT", "RIGHT").Result(); err != nil || v != "1" {
				t.Fatalf("LMOVE on one tag = %v, %v", v, err)
			}
			for _, a := range addrs(c) {
				err := nodeClient(t, a, 2).SUnion(ctx, "set:1", "set:2").Err()
				if err == nil || err.Error() != "CROSSSLOT Keys in request don't hash to the same slot" {
					t.Fatalf("%s SUNION across slots = %v, want CROSSSLOT", a, err)
				}
				_, _, err = nodeClient(t, a, 2).LMPop(ctx, "left", 1, "list:1", "list:2").Result()
				if err == nil || err.Error() != "CROSSSLOT Keys in request don't hash to the same slot" {
					t.Fatalf("%s LMPOP across slots = %v, want CROSSSLOT", a, err)
				}
			}
		})
	}
}

// retryDown runs a write until it stops answering CLUSTERDOWN (a node of a
// freshly started cluster on a loaded machine may not serve yet) and fails
// on any other error.
func retryDown(t *testing.T, what string, fn func() error) {
	t.Helper()
	var err error
	poll.Until(t, 30*time.Second, what+" without CLUSTERDOWN", func() bool {
		err = fn()
		return err == nil || !strings.HasPrefix(err.Error(), "CLUSTERDOWN")
	})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
