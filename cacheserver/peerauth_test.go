package cacheserver_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
)

const (
	userPass      = "user-password-Zq81"
	clusterSecret = "cluster-secret-Xk42"
)

// authClient is a RESP2 client of addr that authenticates with pass.
func authClient(t testing.TB, addr, pass string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: pass, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// countFailedWrites writes n keys through rdb and returns the failures.
func countFailedWrites(t testing.TB, rdb *redis.Client, n int) (failed int, first error) {
	t.Helper()
	for _, k := range testKeys(n) {
		if err := rdb.Set(context.Background(), k, valueOf(k), 0).Err(); err != nil {
			failed++
			first = cmpOr(first, err)
		}
	}
	return failed, first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TestRequirepassChangeKeepsForwarding: a cluster started with requirepass
// keeps forwarding after CONFIG SET requirepass on every node (peer links
// prove a key derived from the password, never send it).
func TestRequirepassChangeKeepsForwarding(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 3, Configure: func(_ string, cfg *cacheserver.Config) {
		cfg.RequirePass = userPass
	}})
	for _, n := range c.Nodes {
		if err := authClient(t, n.Addr, userPass).ConfigSet(context.Background(), "requirepass", "new-"+userPass).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rdb := authClient(t, c.Nodes[0].Addr, "new-"+userPass)
	if failed, err := countFailedWrites(t, rdb, 30); failed > 0 {
		t.Fatalf("%d/30 writes failed after CONFIG SET requirepass; first: %v", failed, err)
	}
	readKeys(t, rdb, testKeys(30), "after CONFIG SET requirepass")
}

// TestPeerWithoutProofIsRefused: RINGCACHE PEER without a proof, with a
// wrong one, or without a challenge is refused and grants nothing.
func TestPeerWithoutProofIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*cacheserver.Config)
	}{
		{"secret", func(cfg *cacheserver.Config) { cfg.Cluster.ClusterSecret = []byte(clusterSecret) }},
		{"requirepass", func(cfg *cacheserver.Config) { cfg.RequirePass = userPass }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cachetest.Start(t, cachetest.Options{N: 1, Configure: func(_ string, cfg *cacheserver.Config) { tc.cfg(cfg) }})
			rdb := nodeClient(t, c.Nodes[0].Addr, 2)
			ctx := context.Background()
			conn := rdb.Conn()
			defer conn.Close()
			expectErr := func(want string, args ...any) {
				t.Helper()
				err := conn.Do(ctx, args...).Err()
				if err == nil || err.Error() != want {
					t.Errorf("%v: got %v, want %q", args, err, want)
				}
			}
			expectErr("ERR RINGCACHE PEER refused: this node authenticates peers, proof of the cluster secret is required", "ringcache", "peer")
			expectErr("ERR RINGCACHE PEER refused: no challenge, send RINGCACHE CHALLENGE first", "ringcache", "peer", "aa", "bb")
			nonce, err := conn.Do(ctx, "ringcache", "challenge").Text()
			if err != nil || len(nonce) != 32 {
				t.Fatalf("CHALLENGE: %q, %v", nonce, err)
			}
			expectErr("ERR RINGCACHE PEER refused: invalid proof of the cluster secret", "ringcache", "peer", "aa", strings.Repeat("0", 64))
			expectErr("ERR RINGCACHE PEER refused: no challenge, send RINGCACHE CHALLENGE first", "ringcache", "peer", "aa", strings.Repeat("0", 64))
			if tc.name == "requirepass" {
				expectErr("NOAUTH Authentication required.", "set", "k", "v")
			}
		})
	}
}

// TestPeerTrafficCarriesNoSecret puts a recording TCP proxy in front of one
// node of two and forwards writes to it: the bytes on the peer link hold no
// user password and no cluster secret, whether peers prove the cluster
// secret or (without one) a key derived from requirepass.
func TestPeerTrafficCarriesNoSecret(t *testing.T) {
	for _, secret := range []string{clusterSecret, ""} {
		t.Run("secret="+secret, func(t *testing.T) {
			var rec syncBuffer
			c := cachetest.Start(t, cachetest.Options{N: 1, Configure: func(_ string, cfg *cacheserver.Config) {
				cfg.RequirePass = userPass
				cfg.Cluster.ClusterSecret = []byte(secret)
			}})
			behindProxy(t, c, &rec)
			c.WaitAgreed()
			rdb := authClient(t, c.Nodes[0].Addr, userPass)
			if failed, err := countFailedWrites(t, rdb, 200); failed > 0 {
				t.Fatalf("%d/200 writes failed; first: %v", failed, err)
			}
			got := []byte(rec.String())
			if !bytes.Contains(got, []byte("CHALLENGE")) || !bytes.Contains(got, []byte("value-of-key:")) {
				t.Fatalf("the proxy saw no peer traffic (%d bytes)", len(got))
			}
			for _, s := range []string{userPass, clusterSecret} {
				if bytes.Contains(got, []byte(s)) {
					t.Errorf("peer traffic contains %q:\n%q", s, got)
				}
			}
		})
	}
}

// behindProxy starts a second node whose RESP port is reached through a
// recording proxy: the node listens on 127.0.0.1:P and advertises
// 127.0.0.2, where the proxy listens on the same port P.
func behindProxy(t *testing.T, c *cachetest.Cluster, rec *syncBuffer) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		n := c.StartNode("proxied", func(cfg *cacheserver.Config) {
			cfg.Cluster.Advertise, cfg.Cluster.GossipAddr = "127.0.0.2", "127.0.0.2:0"
		})
		_, port, _ := net.SplitHostPort(n.Addr)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", port))
		if err == nil {
			startProxy(t, ln, n.Addr, rec)
			return
		}
		n.Kill(t)
		if attempt == 3 {
			t.Fatalf("proxy listen: %v", err)
		}
		c.Nodes = c.Nodes[:len(c.Nodes)-1]
	}
}

// startProxy relays every connection of ln to target, copying both
// directions into rec; everything stops when the test ends.
func startProxy(t *testing.T, ln net.Listener, target string, rec io.Writer) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(cs ...net.Conn) {
		mu.Lock()
		conns = append(conns, cs...)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			track(in, out)
			wg.Add(2)
			go func() { defer wg.Done(); relay(out, in, rec) }()
			go func() { defer wg.Done(); relay(in, out, rec) }()
		}
	}()
}

func relay(dst, src net.Conn, rec io.Writer) {
	_, _ = io.Copy(io.MultiWriter(dst, rec), src) // ends when either side closes
	dst.Close()
	src.Close()
}
