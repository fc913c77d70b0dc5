package client

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/tlstest"
)

// TestSDKOverTLS runs the SDK against a 3-process cluster whose nodes talk
// TLS to each other and to clients (client certificates required): every
// write and read goes over TLS to the key's owner.
func TestSDKOverTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "sdk")
	node, sdk := ca.Issue(t, "node"), ca.Issue(t, "sdk")
	lc := launch.StartT(t, launch.Options{N: 3, Args: []string{"--tls-port", "0", "--tls-cert-file", node.CertFile,
		"--tls-key-file", node.KeyFile, "--tls-ca-cert-file", ca.File, "--tls-cluster"}})
	ctx := context.Background()
	plain := redis.NewClient(&redis.Options{Addr: lc.Addrs()[0]})
	defer plain.Close()
	shards, err := plain.ClusterShards(ctx).Result()
	if err != nil || len(shards) != 3 {
		t.Fatalf("CLUSTER SHARDS: %d shards, %v", len(shards), err)
	}
	var seeds []string
	for _, s := range shards {
		seeds = append(seeds, net.JoinHostPort(s.Nodes[0].IP, strconv.FormatInt(s.Nodes[0].Port, 10)))
	}
	for i, a := range lc.Addrs() {
		for _, s := range seeds {
			if s == a {
				t.Fatalf("node %d advertises its plain address %s, want its TLS one", i, a)
			}
		}
	}
	cfg := DefaultConfig()
	cfg.Seeds, cfg.TLS = seeds, ca.ClientConfig(t, sdk)
	// Not a test of timeouts: a TLS handshake under -race on a loaded
	// machine can exceed the 50 ms defaults (it failed that way).
	cfg.DialTimeout, cfg.ReadTimeout, cfg.WriteTimeout = testHopTimeout, testHopTimeout, testHopTimeout
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New over TLS: %v", err)
	}
	defer c.Close()
	for i := range 100 {
		k := fmt.Sprintf("tls:%d", i)
		if err := c.Set(ctx, k, []byte("v"+k)); err != nil {
			t.Fatalf("Set %s over TLS: %v", k, err)
		}
		if r, err := c.Get(ctx, k); err != nil || string(r.Value) != "v"+k {
			t.Fatalf("Get %s over TLS: %+v, %v", k, r, err)
		}
	}
}
