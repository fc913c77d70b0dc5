package cacheserver

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients = 0
	cfg.IdleTimeout = -1
	_, err := New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "MaxClients") || !strings.Contains(err.Error(), "timeouts") {
		t.Fatalf("New = %v, want joined MaxClients and timeouts errors", err)
	}
	if cfg.MaxClients != 0 {
		t.Fatal("caller's config modified")
	}
}

func TestTwoServersInOneProcess(t *testing.T) {
	a, b := startServer(t, testConfig()), startServer(t, testConfig())
	ca, cb := dialRaw(t, a), dialRaw(t, b)
	if got := ca.do("SET", "k", "a"); got != "+OK\r\n" {
		t.Fatalf("SET = %q", got)
	}
	if got := cb.do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("second server sees the first one's key: %q", got)
	}
}

func TestServeAfterCloseAndCloseTwice(t *testing.T) {
	srv, err := New(testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close = %v", err)
	}
}

// TestShutdownDrains: pipelined commands sent before Shutdown are all
// answered, then the connection is closed and Serve returns ErrServerClosed.
func TestShutdownDrains(t *testing.T) {
	srv, err := New(testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	rc := dialAddr(t, ln.Addr().String())
	if got := rc.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING = %q", got)
	}
	var batch strings.Builder
	for range 1000 {
		batch.WriteString("*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")
	}
	rc.send(batch.String())
	// Commands the server has read are in flight and must be answered.
	pollUntil(t, "batch read", func() bool { return srv.stats.netIn.Load() >= int64(14+batch.Len()) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i := 1; i <= 1000; i++ {
		got := rc.reply()
		if got[0] != ':' {
			t.Fatalf("reply %d = %q", i, got)
		}
	}
	rc.expectClosed()
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v", err)
	}
}

func TestShutdownContextExpiryForcesClose(t *testing.T) {
	srv, err := New(testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	// A client that asks for 200 MB of replies and reads none: its
	// connection blocks in a write and cannot drain.
	rc := dialAddr(t, ln.Addr().String())
	if got := rc.do("SET", "big", strings.Repeat("x", 1<<20)); got != "+OK\r\n" {
		t.Fatalf("SET = %q", got)
	}
	rc.send(strings.Repeat("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", 200))
	pollUntil(t, "server blocked writing", func() bool { return srv.stats.netOut.Load() > 1<<20 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v", err)
	}
}
