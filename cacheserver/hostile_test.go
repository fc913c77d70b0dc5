package cacheserver

import (
	"bufio"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

// protocolErrorCases are malformed inputs with Redis 7.0's reply.
var protocolErrorCases = []struct{ name, in, want string }{
	{"multibulk length", "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
	{"bulk length", "*2\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"expected dollar", "*1\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"},
	{"bulk too big", "*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	{"negative multibulk", "*-5\r\nPING\r\n", "+PONG\r\n"},
	{"unbalanced quotes", "SET \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	{"inline too big", strings.Repeat("a", 70<<10), "-ERR Protocol error: too big inline request\r\n"},
}

// TestProtocolErrorsMatchRedis sends each malformed input to redis-server
// and to cacheserver: the replies must be identical, the connection closed
// (except where Redis keeps it), and the server must go on serving others.
func TestProtocolErrorsMatchRedis(t *testing.T) {
	rs := redistest.StartServer(t)
	srv := startServer(t, testConfig())
	bystander := dialRaw(t, srv)
	for _, tc := range protocolErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			want := exchange(t, rs.Addr, tc.in)
			got := exchange(t, srv.Addr().String(), tc.in)
			if got != want || got != tc.want {
				t.Fatalf("reply %q, redis-server %q, expected %q", got, want, tc.want)
			}
			if p := bystander.do("PING"); p != "+PONG\r\n" {
				t.Fatalf("other connection broken: %q", p)
			}
		})
	}
}

// exchange sends in on a fresh connection and returns everything the server
// answers within a short while (until it closes or goes quiet).
func exchange(t *testing.T, addr, in string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	var out []byte
	buf := make([]byte, 4096)
	for {
		_ = nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := nc.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return string(out)
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestHugeHeadersDoNotAllocate: a 512 MB bulk header and a 1M-element
// array header, never followed by their data, cost no memory.
func TestHugeHeadersDoNotAllocate(t *testing.T) {
	srv := startServer(t, testConfig())
	before := heapInUse()
	var conns []*rawClient
	for range 10 {
		a, b := dialRaw(t, srv), dialRaw(t, srv)
		a.send("*1\r\n$536870912\r\n")
		b.send("*1048576\r\n$3\r\nGET\r\n")
		conns = append(conns, a, b)
	}
	for _, c := range conns {
		c.send("") // both still open
	}
	pollUntil(t, "20 connections", func() bool { return srv.stats.connected.Load() == 20 })
	if grew := int64(heapInUse()) - int64(before); grew > 32<<20 {
		t.Fatalf("heap grew by %d MB for 20 connections with huge headers", grew>>20)
	}
	if p := dialRaw(t, srv).do("PING"); p != "+PONG\r\n" {
		t.Fatalf("PING = %q", p)
	}
}

// TestSlowloris: 1000 connections that each send half a command and stall
// are closed after FrameTimeout, with memory bounded; others are served.
func TestSlowloris(t *testing.T) {
	cfg := testConfig()
	cfg.FrameTimeout = 500 * time.Millisecond
	srv := startServer(t, cfg)
	before := heapInUse()
	conns := make([]net.Conn, 1000)
	for i := range conns {
		nc, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer nc.Close()
		if _, err := nc.Write([]byte("*2\r\n$3\r\nGET\r\n$5\r\nab")); err != nil {
			t.Fatal(err)
		}
		conns[i] = nc
	}
	good := dialRaw(t, srv)
	if p := good.do("PING"); p != "+PONG\r\n" {
		t.Fatalf("PING during slowloris = %q", p)
	}
	if grew := int64(heapInUse()) - int64(before); grew > 64<<20 {
		t.Fatalf("heap grew by %d MB for 1000 stalled connections", grew>>20)
	}
	pollUntil(t, "stalled connections closed", func() bool { return srv.stats.connected.Load() == 1 })
	for i, nc := range conns {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := bufio.NewReader(nc).ReadByte(); err == nil {
			t.Fatalf("stalled connection %d got a reply", i)
		}
	}
}

// TestPipelineWithoutReading: a client pipelining 100k GETs and never
// reading blocks its own connection only; memory stays bounded and the
// server closes it after WriteTimeout.
func TestPipelineWithoutReading(t *testing.T) {
	cfg := testConfig()
	cfg.WriteTimeout = time.Second
	srv := startServer(t, cfg)
	setup := dialRaw(t, srv)
	setup.do("SET", "v", strings.Repeat("x", 1000))
	before := heapInUse()
	nc, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		batch := []byte(strings.Repeat("*2\r\n$3\r\nGET\r\n$1\r\nv\r\n", 1000))
		for range 100 {
			if _, err := nc.Write(batch); err != nil {
				return // the server closed us
			}
		}
	}()
	pollUntil(t, "server blocked on the client", func() bool { return srv.stats.netOut.Load() > 1<<20 })
	if p := setup.do("GET", "v"); len(p) != 1000+9 {
		t.Fatalf("other client: GET = %d bytes", len(p))
	}
	if grew := int64(heapInUse()) - int64(before); grew > 32<<20 {
		t.Fatalf("heap grew by %d MB", grew>>20)
	}
	pollUntil(t, "non-reading client closed", func() bool { return srv.stats.connected.Load() == 1 })
	nc.Close()
	wg.Wait()
}

func TestMaxClients(t *testing.T) {
	cfg := testConfig()
	cfg.MaxClients = 2
	srv := startServer(t, cfg)
	a, b := dialRaw(t, srv), dialRaw(t, srv)
	a.do("PING")
	b.do("PING")
	c := dialRaw(t, srv)
	if got := c.reply(); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q", got)
	}
	c.expectClosed()
	if got := a.do("INFO", "stats"); !strings.Contains(got, "rejected_connections:1\r\n") {
		t.Fatalf("INFO stats: %q", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 200 * time.Millisecond
	srv := startServer(t, cfg)
	c := dialRaw(t, srv)
	c.do("PING")
	c.expectClosed()
	if got := dialRaw(t, srv).do("CONFIG", "SET", "timeout", "0"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET timeout = %q", got)
	}
}

func TestOutputBufferLimit(t *testing.T) {
	cfg := testConfig()
	cfg.OutputBufferLimit = 1 << 20
	srv := startServer(t, cfg)
	c := dialRaw(t, srv)
	c.do("SET", "big", strings.Repeat("x", 2<<20))
	c.send("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
	c.expectClosed()
}

// TestUnauthenticatedLimits: before AUTH, Redis's small limits apply.
func TestUnauthenticatedLimits(t *testing.T) {
	cfg := testConfig()
	cfg.RequirePass = "pw"
	srv := startServer(t, cfg)
	a := dialRaw(t, srv)
	a.send("*11\r\n")
	if got := a.reply(); got != "-ERR Protocol error: unauthenticated multibulk length\r\n" {
		t.Fatalf("11 args before AUTH: %q", got)
	}
	a.expectClosed()
	b := dialRaw(t, srv)
	b.send("*2\r\n$3\r\nGET\r\n$16385\r\n")
	if got := b.reply(); got != "-ERR Protocol error: unauthenticated bulk length\r\n" {
		t.Fatalf("big bulk before AUTH: %q", got)
	}
	c := dialRaw(t, srv)
	if got := c.do("AUTH", "pw"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := c.do("SET", "k", strings.Repeat("v", 20000)); got != "+OK\r\n" {
		t.Fatalf("big value after AUTH: %q", got)
	}
}
