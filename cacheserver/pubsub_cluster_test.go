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
	"github.com/ringcache/ringcache/internal/poll"
)

// startPubsubCluster starts 3 nodes whose peer connections authenticate
// with a cluster secret.
func startPubsubCluster(t *testing.T, mode string) *cachetest.Cluster {
	c := cachetest.Start(t, cachetest.Options{N: 3, Redirect: mode, Timeout: time.Minute,
		Configure: func(_ string, cfg *cacheserver.Config) { cfg.Cluster.ClusterSecret = []byte("pubsub-secret") }})
	waitServing(t, c)
	return c
}

// waitServing waits until every node serves keys (under heavy load a node
// may still be without its lease, answering CLUSTERDOWN, right after the
// ring agreed).
func waitServing(t *testing.T, c *cachetest.Cluster) {
	for _, n := range c.Nodes {
		rdb := nodeClient(t, n.Addr, 2)
		poll.Until(t, time.Minute, n.Name+" serving keys", func() bool {
			err := rdb.Exists(context.Background(), "probe").Err()
			return err == nil || !strings.HasPrefix(err.Error(), "CLUSTERDOWN")
		})
	}
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
// channel and pattern subscribers of every node, exactly once, in the order
// of the node it was published on, and answers the receivers on the node
// asked.
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
	// Each message once; m0 before m2, both published on node 0 (messages
	// published on different nodes have no order between them).
	for i := range c.Nodes {
		for _, ps := range []*redis.PubSub{subs[i], psubs[i]} {
			seen := map[string]int{}
			for j := range 4 {
				m := nextMessage(t, ps)
				seen[m[strings.LastIndexByte(m, '=')+1:]] = j
			}
			if len(seen) != 4 || seen["m0"] > seen["m2"] {
				t.Fatalf("node %d: messages in order %v, want m0..m3 once each, m0 before m2", i, seen)
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

// TestClusterShardSubscribersToldWhenSlotMoves: when a ring change moves a
// slot away, the subscribers of its shard channels get sunsubscribe for
// each of them (and only them), as in Redis Cluster.
func TestClusterShardSubscribersToldWhenSlotMoves(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 2, Timeout: time.Minute})
	waitServing(t, c)
	ctx := context.Background()
	n0 := c.Nodes[0]
	ps := nodeClient(t, n0.Addr, 2).SSubscribe(ctx)
	defer ps.Close()
	var chans []string
	for i := 0; len(chans) < 64; i++ {
		if ch := fmt.Sprintf("ch%d", i); n0.Srv.Ring().Owner(ch).Name == n0.Name {
			if err := ps.SSubscribe(ctx, ch); err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			chans = append(chans, ch)
		}
	}
	c.AddNode()
	c.WaitAgreed()
	moved := map[string]bool{}
	for _, ch := range chans {
		if n0.Srv.Ring().Owner(ch).Name != n0.Name {
			moved[ch] = true
		}
	}
	if len(moved) == 0 {
		t.Skip("no channel's slot moved")
	}
	// The join may pass through intermediate rings: a channel whose slot
	// left and came back was told too. Every sunsubscribe is queued before
	// the node published its final ring, so before the PING's reply.
	subscribed := map[string]bool{}
	for _, ch := range chans {
		subscribed[ch] = true
	}
	if err := ps.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	told := map[string]bool{}
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		m, err := ps.Receive(rctx)
		cancel()
		if _, pong := m.(*redis.Pong); pong {
			break
		}
		s, ok := m.(*redis.Subscription)
		if err != nil || !ok || s.Kind != "sunsubscribe" || !subscribed[s.Channel] || told[s.Channel] {
			t.Fatalf("got %#v, %v; want one sunsubscribe per channel", m, err)
		}
		told[s.Channel] = true
	}
	for ch := range moved {
		if !told[ch] {
			t.Errorf("%s moved away but its subscriber was not told", ch)
		}
	}
}
