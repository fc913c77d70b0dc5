package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/redistest"
)

// newTestPool returns a read pool of size poolSize on a plain redis-server
// (requiring password if set) and a go-redis client to it.
func newTestPool(t *testing.T, poolSize int, password string) (*readPool, *redis.Client) {
	t.Helper()
	srv := redistest.StartServer(t)
	if password != "" { // after start: StartServer's readiness PING does not AUTH
		if r, err := srv.Do("CONFIG", "SET", "requirepass", password); err != nil || r != "+OK" {
			t.Fatalf("requirepass: %q %v", r, err)
		}
	}
	cfg := DefaultConfig()
	cfg.PoolSize, cfg.Password = poolSize, password
	p := newReadPool(srv.Addr, &cfg)
	t.Cleanup(p.close)
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: password})
	t.Cleanup(func() { raw.Close() })
	return p, raw
}

func TestReadPoolGet(t *testing.T) {
	p, raw := newTestPool(t, 2, "")
	ctx := context.Background()
	raw.Set(ctx, "forever", "v1", 0)
	raw.Set(ctx, "expiring", "v2", time.Hour)
	raw.RPush(ctx, "list", "x")
	for _, tc := range []struct {
		key, val  string
		found     bool
		ttlMin    int64
		replyErr  string
		ttlAtMost int64
		noTTL     bool // GET alone: PTTL is not asked, -1 is returned
	}{
		{key: "forever", val: "v1", found: true, ttlMin: -1, ttlAtMost: -1},
		{key: "expiring", val: "v2", found: true, ttlMin: 3_500_000, ttlAtMost: 3_600_000},
		{key: "missing", ttlMin: 0, ttlAtMost: 0},
		{key: "list", replyErr: "WRONGTYPE"},
		{key: "forever", val: "v1", found: true, ttlMin: -1, ttlAtMost: -1}, // the connection survived the error reply
		{key: "expiring", val: "v2", found: true, ttlMin: -1, ttlAtMost: -1, noTTL: true},
		{key: "missing", noTTL: true},
		{key: "list", replyErr: "WRONGTYPE", noTTL: true},
		{key: "expiring", val: "v2", found: true, ttlMin: 3_500_000, ttlAtMost: 3_600_000}, // replies stayed in step
	} {
		val, pttl, found, err := get4(p, ctx, tc.key, !tc.noTTL)
		if tc.replyErr != "" {
			var re replyError
			if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), tc.replyErr) {
				t.Fatalf("%s: err %v, want a %s reply error", tc.key, err, tc.replyErr)
			}
			continue
		}
		if err != nil || found != tc.found || string(val) != tc.val || pttl < tc.ttlMin || pttl > tc.ttlAtMost {
			t.Fatalf("%s: %q pttl %d found %v err %v, want %+v", tc.key, val, pttl, found, err, tc)
		}
	}
	if n := len(p.idle); n != 1 {
		t.Fatalf("%d idle connections after sequential reads, want 1", n)
	}
}

// TestReadPoolAuth reads from a node with requirepass, and fails with the
// node's error under a wrong password.
func TestReadPoolAuth(t *testing.T) {
	p, raw := newTestPool(t, 1, "s3cret")
	ctx := context.Background()
	if err := raw.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if val, _, found, err := get4(p, ctx, "k", true); err != nil || !found || string(val) != "v" {
		t.Fatalf("with password: %q %v %v", val, found, err)
	}
	bad := newReadPool(p.addr, &Config{PoolSize: 1, Password: "wrong", DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	defer bad.close()
	if _, _, _, err := get4(bad, ctx, "k", true); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("wrong password: err %v", err)
	}
	if len(bad.tokens) != 0 {
		t.Fatal("a failed dial kept its pool token")
	}
}

// TestReadPoolReplacesConnectionsTheNodeClosed kills the pool's idle
// connection on the server: the next read must succeed on a new one.
func TestReadPoolReplacesConnectionsTheNodeClosed(t *testing.T) {
	p, raw := newTestPool(t, 1, "")
	ctx := context.Background()
	raw.Set(ctx, "k", "v", 0)
	if _, _, _, err := get4(p, ctx, "k", true); err != nil {
		t.Fatal(err)
	}
	if n, err := raw.ClientKillByFilter(ctx, "TYPE", "normal", "SKIPME", "yes").Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL: %d %v", n, err)
	}
	if val, _, found, err := get4(p, ctx, "k", true); err != nil || !found || string(val) != "v" {
		t.Fatalf("after the node closed the idle connection: %q %v %v", val, found, err)
	}
}

// TestReadPoolBoundsConnections holds the only connection of a pool of one:
// a second reader waits (here until its context ends), and gets the same
// connection once it is released.
func TestReadPoolBoundsConnections(t *testing.T) {
	p, raw := newTestPool(t, 1, "")
	ctx := context.Background()
	raw.Set(ctx, "k", "v", 0)
	cn, _, err := p.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, _, err := get4(p, short, "k", true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second reader with the pool exhausted: %v", err)
	}
	p.release(cn)
	got, reused, err := p.acquire(ctx)
	if err != nil || !reused || got != cn {
		t.Fatalf("after release: reused=%v same=%v err=%v", reused, got == cn, err)
	}
	p.release(got)
}

// TestReadPoolTimeout reads from a peer that never answers: the read fails
// with a timeout, is not retried, and the connection is not pooled.
func TestReadPoolTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait() // runs after ln.Close, which ends the accept loop
	defer ln.Close()
	wg.Add(1)
	go func() { // accept and keep the connections, never reply
		defer wg.Done()
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	cfg := DefaultConfig()
	p := newReadPool(ln.Addr().String(), &cfg)
	defer p.close()
	_, _, _, err = get4(p, context.Background(), "k", true)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, want a timeout", err)
	}
	if len(p.idle) != 0 || len(p.tokens) != 0 {
		t.Fatalf("after a timeout: %d idle, %d tokens held", len(p.idle), len(p.tokens))
	}
}

// TestReadPoolClose checks that close closes idle connections, that a
// connection released after close is closed too, and that reads fail.
func TestReadPoolClose(t *testing.T) {
	p, raw := newTestPool(t, 2, "")
	ctx := context.Background()
	raw.Set(ctx, "k", "v", 0)
	a, _, errA := p.acquire(ctx)
	b, _, errB := p.acquire(ctx)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	p.release(a)
	p.close()
	p.release(b) // after close
	if len(p.idle) != 0 {
		t.Fatalf("%d idle connections after close", len(p.idle))
	}
	for _, cn := range []*readConn{a, b} {
		if _, err := cn.conn.Write([]byte("PING\r\n")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("connection still open after close: %v", err)
		}
	}
	if _, _, _, err := get4(p, ctx, "k", true); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

// get4 is readPool.get without tracking, as four results.
func get4(p *readPool, ctx context.Context, key string, withTTL bool) ([]byte, int64, bool, error) {
	r, err := p.get(ctx, key, withTTL, 0)
	return r.val, r.pttl, r.found, err
}
