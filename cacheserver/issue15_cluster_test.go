package cacheserver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
)

// TestClusterMultiMovedAbortsExec: a command answered -MOVED inside MULTI
// flags the transaction, so EXEC answers EXECABORT and runs nothing, as in
// Redis Cluster (both redirect modes: transactions never forward).
func TestClusterMultiMovedAbortsExec(t *testing.T) {
	for _, mode := range []string{"moved", "forward"} {
		t.Run(mode, func(t *testing.T) {
			c := cachetest.Start(t, cachetest.Options{N: 2, Redirect: mode})
			ctx := context.Background()
			n := c.Nodes[0]
			r := n.Srv.Ring()
			var mine, other string
			for i := 0; mine == "" || other == ""; i++ {
				k := fmt.Sprintf("k%d", i)
				if r.Owner(k).Name == n.Name {
					mine = k
				} else {
					other = k
				}
			}
			rdb := nodeClient(t, n.Addr, 2)
			if err := rdb.Set(ctx, mine, "orig", 0).Err(); err != nil {
				t.Fatal(err)
			}
			conn := rdb.Conn()
			defer conn.Close()
			for _, step := range []struct {
				cmd  []any
				want string
			}{
				{[]any{"MULTI"}, "OK"},
				{[]any{"SET", mine, "changed"}, "QUEUED"},
				{[]any{"SET", other, "x"}, "MOVED"},
				{[]any{"EXEC"}, "EXECABORT Transaction discarded because of previous errors."},
			} {
				v, err := conn.Do(ctx, step.cmd...).Result()
				got := fmt.Sprint(v)
				if err != nil {
					got = err.Error()
				}
				if len(got) < len(step.want) || got[:len(step.want)] != step.want {
					t.Fatalf("%v = %q, want %q...", step.cmd, got, step.want)
				}
			}
			if got := rdb.Get(ctx, mine).Val(); got != "orig" {
				t.Fatalf("GET %s = %q after the aborted EXEC, want orig", mine, got)
			}
		})
	}
}

// HELLO reports mode cluster on a clustered node, as INFO's redis_mode
// does (Redis Cluster answers the same).
func TestClusterHelloModeCluster(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 1})
	v, err := nodeClient(t, c.Nodes[0].Addr, 2).Do(context.Background(), "HELLO", "2").Slice()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(v); i += 2 {
		if v[i] == "mode" {
			if v[i+1] != "cluster" {
				t.Fatalf("HELLO mode = %v, want cluster", v[i+1])
			}
			return
		}
	}
	t.Fatalf("HELLO has no mode: %v", v)
}
