package cacheserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
)

// startPubsubCluster starts 3 nodes whose peer connections authenticate
// with a cluster secret.
func startPubsubCluster(t *testing.T, mode string) *cachetest.Cluster {
	return cachetest.Start(t, cachetest.Options{N: 3, Redirect: mode, Timeout: time.Minute,
		Configure: func(_ string, cfg *cacheserver.Config) { cfg.Cluster.ClusterSecret = []byte("pubsub-secret") }})
}

// nextMessage returns the next message of ps as "channel=payload", or
// "pattern:channel=payload" for a pattern message.
func nextMessage(t *testing.T, ps *redis.PubSub) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if m.Pattern != "" {
		return m.Pattern + ":" + m.Channel + "=" + m.Payload
	}
	return m.Channel + "=" + m.Payload
}

// TestClusterPublishReachesEveryNode: a PUBLISH on any node reaches the
// channel and pattern subscribers of every node, exactly once and in the
// publisher's order, and answers the receivers on the node asked.
func TestClusterPublishReachesEveryNode(t *testing.T) {
	c := startPubsubCluster(t, "forward")
	ctx := context.Background()
	var subs, psubs []*redis.PubSub
	for _, n := range c.Nodes {
		rdb := nodeClient(t, n.Addr, 2)
		ps := rdb.Subscribe(ctx, "news")
		pps := rdb.PSubscribe(ctx, "ne*")
		for _, p := range []*redis.PubSub{ps, pps} {
			t.Cleanup(func() { _ = p.Close() })
			if _, err := p.Receive(ctx); err != nil {
				t.Fatal(err)
			}
		}
		subs, psubs = append(subs, ps), append(psubs, pps)
	}
	for i, from := range []int{0, 2, 0, 1} {
		rdb := nodeClient(t, c.Nodes[from].Addr, 2)
		n, err := rdb.Publish(ctx, "news", fmt.Sprintf("m%d", i)).Result()
		if err != nil || n != 2 {
			t.Fatalf("PUBLISH on node %d = %d, %v; want 2 (its own two subscriptions)", from, n, err)
		}
	}
	for i := range c.Nodes {
		for j := range 4 {
			if got, want := nextMessage(t, subs[i]), fmt.Sprintf("news=m%d", j); got != want {
				t.Fatalf("node %d subscriber: message %d = %q, want %q", i, j, got, want)
			}
			if got, want := nextMessage(t, psubs[i]), fmt.Sprintf("ne*:news=m%d", j); got != want {
				t.Fatalf("node %d pattern subscriber: message %d = %q, want %q", i, j, got, want)
			}
		}
	}
}

// TestClusterShardedPubsub: SSUBSCRIBE runs on the channel's owner only
// (-MOVED elsewhere, in both modes); SPUBLISH is forwarded to the owner in
// forward mode and redirected in moved mode, as a command with a key.
func TestClusterShardedPubsub(t *testing.T) {
	for _, mode := range []string{"forward", "moved"} {
		t.Run(mode, func(t *testing.T) {
			c := startPubsubCluster(t, mode)
			ctx := context.Background()
			r := c.Nodes[0].Srv.Ring()
			var ch string
			for i := 0; ch == ""; i++ {
				if k := fmt.Sprintf("ch%d", i); r.Owner(k).Name == c.Nodes[1].Name {
					ch = k
				}
			}
			other := nodeClient(t, c.Nodes[0].Addr, 2)
			bad := other.SSubscribe(ctx, ch)
			defer bad.Close()
			if _, err := bad.Receive(ctx); err == nil || !strings.HasPrefix(err.Error(), "MOVED ") {
				t.Fatalf("SSUBSCRIBE off the owner: %v, want MOVED", err)
			}
			owner := nodeClient(t, c.Nodes[1].Addr, 3)
			ps := owner.SSubscribe(ctx, ch)
			defer ps.Close()
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			n, err := other.SPublish(ctx, ch, "hi").Result()
			if mode == "moved" {
				if err == nil || !strings.HasPrefix(err.Error(), "MOVED ") {
					t.Fatalf("SPUBLISH off the owner in moved mode = %d, %v; want MOVED", n, err)
				}
				n, err = owner.SPublish(ctx, ch, "hi").Result()
			}
			if err != nil || n != 1 {
				t.Fatalf("SPUBLISH = %d, %v; want 1", n, err)
			}
			if got := nextMessage(t, ps); got != ch+"=hi" {
				t.Fatalf("shard subscriber got %q", got)
			}
		})
	}
}
