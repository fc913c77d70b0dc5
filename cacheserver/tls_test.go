package cacheserver_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/tlstest"
)

// tlsNode is a server with a plain and a TLS listener on 127.0.0.1.
type tlsNode struct {
	srv            *cacheserver.Server
	plain, tlsAddr string
}

// startTLSNode starts a server with cfg on a plain and a TLS listener.
func startTLSNode(t *testing.T, cfg cacheserver.Config) *tlsNode {
	t.Helper()
	srv, err := cacheserver.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err1 := net.Listen("tcp", "127.0.0.1:0")
	tl, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	n := &tlsNode{srv: srv, plain: pl.Addr().String(), tlsAddr: tl.Addr().String()}
	done := make(chan error, 2)
	go func() { done <- srv.Serve(pl) }()
	go func() { done <- srv.ServeTLS(tl) }()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
		<-done
	})
	return n
}

func tlsServerConfig(ca *tlstest.CA, p tlstest.Pair, auth string) cacheserver.Config {
	cfg := cacheserver.DefaultConfig()
	cfg.TLS = cacheserver.TLSConfig{CertFile: p.CertFile, KeyFile: p.KeyFile, CAFile: ca.File, AuthClients: auth}
	return cfg
}

// TestTLSClients: redis-cli --tls and go-redis with a TLSConfig talk to the
// TLS port (client certificates required), a client without a certificate
// is refused, and plaintext clients on the TLS port fail fast.
func TestTLSClients(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	srvPair, cliPair := ca.Issue(t, "server"), ca.Issue(t, "client")
	n := startTLSNode(t, tlsServerConfig(ca, srvPair, "yes"))
	ctx := context.Background()

	rdb := redis.NewClient(&redis.Options{Addr: n.tlsAddr, TLSConfig: ca.ClientConfig(t, cliPair), MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "over tls", 0).Err(); err != nil {
		t.Fatalf("go-redis over TLS: %v", err)
	}
	host, port, _ := net.SplitHostPort(n.tlsAddr)
	out, err := exec.Command(redistest.Binary(t, "redis-cli"), "--tls", "--cacert", ca.File, "--cert", cliPair.CertFile,
		"--key", cliPair.KeyFile, "-h", host, "-p", port, "GET", "k").CombinedOutput()
	if err != nil || string(out) != "over tls\n" {
		t.Fatalf("redis-cli --tls: %q, %v", out, err)
	}

	noCert := redis.NewClient(&redis.Options{Addr: n.tlsAddr, TLSConfig: ca.ClientConfig(t, tlstest.Pair{}), MaxRetries: -1})
	defer noCert.Close()
	if err := noCert.Ping(ctx).Err(); err == nil {
		t.Error("a client without a certificate was served (tls-auth-clients yes)")
	}

	plain := redis.NewClient(&redis.Options{Addr: n.tlsAddr, MaxRetries: -1, DialTimeout: time.Second,
		ReadTimeout: 5 * time.Second, Protocol: 2})
	defer plain.Close()
	start := time.Now()
	if err := plain.Ping(ctx).Err(); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("plaintext go-redis on the TLS port: %v after %v", err, time.Since(start))
	}
	cli := exec.Command(redistest.Binary(t, "redis-cli"), "-h", host, "-p", port, "PING")
	start = time.Now()
	if out, err := cli.CombinedOutput(); strings.Contains(string(out), "PONG") || time.Since(start) > 3*time.Second {
		t.Errorf("plaintext redis-cli on the TLS port: %q %v after %v", out, err, time.Since(start))
	}
	if err := nodeClient(t, n.plain, 2).Ping(ctx).Err(); err != nil {
		t.Fatalf("server unusable after plaintext on its TLS port: %v", err)
	}
}

// TestTLSCertificateReload replaces the certificate files of a running
// server: new handshakes present the new certificate without a restart;
// broken files keep the old one.
func TestTLSCertificateReload(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	p := ca.Issue(t, "server")
	n := startTLSNode(t, tlsServerConfig(ca, p, "no"))
	serial := func() string {
		c, err := tls.Dial("tcp", n.tlsAddr, ca.ClientConfig(t, tlstest.Pair{}))
		if err != nil {
			t.Fatalf("TLS dial: %v", err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	next := ca.Issue(t, "server-next")
	for _, f := range [][2]string{{next.CertFile, p.CertFile}, {next.KeyFile, p.KeyFile}} {
		b, _ := os.ReadFile(f[0])
		if err := os.WriteFile(f[1], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var now string
	poll.Until(t, 10*time.Second, "the new certificate to be served", func() bool { now = serial(); return now != first })
	if err := os.WriteFile(p.CertFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.srv.ReloadTLS(); err == nil {
		t.Fatal("ReloadTLS accepted a broken certificate file")
	}
	if s := serial(); s != now {
		t.Fatalf("a broken reload changed the served certificate: %s, want %s", s, now)
	}
}

// TestTLSBetweenNodes: with TLS.Cluster, nodes advertise their TLS
// addresses and forward over TLS, each presenting its own certificate
// (client certificates required); writes through any node reach every
// owner.
func TestTLSBetweenNodes(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	c := cachetest.Start(t, cachetest.Options{N: 3, Configure: func(name string, cfg *cacheserver.Config) {
		p := ca.Issue(t, name)
		cfg.TLS = cacheserver.TLSConfig{CertFile: p.CertFile, KeyFile: p.KeyFile, CAFile: ca.File, AuthClients: "yes", Cluster: true}
	}})
	for _, n := range c.Nodes {
		if m, _ := n.Srv.Ring().Member(n.Name); m.Addr != n.TLSAddr {
			t.Errorf("%s advertises %s, want its TLS address %s", n.Name, m.Addr, n.TLSAddr)
		}
	}
	rdb := nodeClient(t, c.Nodes[0].Addr, 2)
	if failed, err := countFailedWrites(t, rdb, 100); failed > 0 {
		t.Fatalf("%d/100 writes failed over TLS peer links; first: %v", failed, err)
	}
	readKeys(t, nodeClient(t, c.Nodes[1].Addr, 3), testKeys(100), "through another node")
}
