package forward

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/resp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

func newPool(t *testing.T, mod func(*Config)) *Pool {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Against a real redis-server: replies come back verbatim and in order,
// under heavy concurrency (many callers share each connection's batches).
func TestForwardVerbatimUnderConcurrency(t *testing.T) {
	srv := redistest.StartServer(t)
	p := newPool(t, func(c *Config) { c.Handshake = [][]string{{"CLIENT", "SETNAME", "peer"}} })
	ctx := context.Background()
	if r, err := p.Do(ctx, srv.Addr, args("SET", "k", "v"), nil); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("SET = %q %v", r, err)
	}
	if r, _ := p.Do(ctx, srv.Addr, args("GET", "nope"), nil); string(r) != "$-1\r\n" {
		t.Fatalf("GET nope = %q", r)
	}
	if r, _ := p.Do(ctx, srv.Addr, args("INCR", "k"), nil); !strings.HasPrefix(string(r), "-ERR value is not an integer") {
		t.Fatalf("INCR on a string = %q", r)
	}
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k, v := fmt.Sprintf("k%d-%d", g, i), fmt.Sprintf("v%d", i)
				if _, err := p.Do(ctx, srv.Addr, args("SET", k, v), nil); err != nil {
					t.Error(err)
					return
				}
				r, err := p.Do(ctx, srv.Addr, args("GET", k), nil)
				want := fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
				if err != nil || string(r) != want {
					t.Errorf("GET %s = %q %v, want %q", k, r, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, _ := srv.Do("CLIENT", "LIST"); got == "" {
		t.Fatal("no CLIENT LIST")
	}
}

// A peer that dies fails pending calls promptly, and the next call redials.
func TestBrokenConnectionFailsFastAndRedials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	p := newPool(t, func(c *Config) { c.ConnsPerPeer = 1; c.Timeout = 10 * time.Second })
	errc := make(chan error, 1)
	go func() {
		_, err := p.Do(context.Background(), ln.Addr().String(), args("GET", "k"), nil)
		errc <- err
	}()
	c := <-conns
	rr := resp.NewReader(c, resp.DefaultReaderConfig())
	if _, err := rr.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Close() // the peer dies without answering
	if err := <-errc; err == nil {
		t.Fatal("call on a dead connection succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("failure took %v", d)
	}
	go func() {
		c := <-conns
		rr := resp.NewReader(c, resp.DefaultReaderConfig())
		if _, err := rr.ReadCommand(); err == nil {
			c.Write([]byte("+PONG\r\n"))
		}
		c.Close()
	}()
	if r, err := p.Do(context.Background(), ln.Addr().String(), args("PING"), nil); err != nil || string(r) != "+PONG\r\n" {
		t.Fatalf("after redial: %q %v", r, err)
	}
}

func TestHandshakeErrorAndTimeout(t *testing.T) {
	srv := redistest.StartServer(t)
	p := newPool(t, func(c *Config) { c.Handshake = [][]string{{"NOSUCHCOMMAND"}} })
	if _, err := p.Do(context.Background(), srv.Addr, args("PING"), nil); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("handshake error not reported: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	defer ln.Close()
	q := newPool(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := q.Do(ctx, ln.Addr().String(), args("PING"), nil); err == nil {
		t.Fatal("no timeout from a silent peer")
	}
	q.Close()
	if _, err := q.Do(context.Background(), ln.Addr().String(), args("PING"), nil); err != ErrClosed {
		t.Fatalf("Do after Close: %v", err)
	}
}

func BenchmarkForwardGet(b *testing.B) {
	srv := redistest.StartServer(b)
	p, _ := New(DefaultConfig())
	defer p.Close()
	ctx := context.Background()
	p.Do(ctx, srv.Addr, args("SET", "k", "v"), nil)
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		for pb.Next() {
			buf, _ = p.Do(ctx, srv.Addr, args("GET", "k"), buf[:0])
		}
	})
}

// A peer whose handshake hangs holds only its own lock: commands to other
// peers go through meanwhile.
func TestSlowPeerDoesNotBlockOthers(t *testing.T) {
	srv := redistest.StartServer(t)
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	p := newPool(t, func(c *Config) { c.Handshake = [][]string{{"PING"}}; c.DialTimeout = 2 * time.Second })
	stuck := make(chan error, 1)
	go func() {
		_, err := p.Do(context.Background(), silent.Addr().String(), args("PING"), nil)
		stuck <- err
	}()
	// Wait until the slow dial is under way (its connection was accepted).
	conn, err := silent.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if r, err := p.Do(context.Background(), srv.Addr, args("PING"), nil); err != nil || string(r) != "+PONG\r\n" {
		t.Fatalf("PING to a healthy peer: %q %v", r, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("healthy peer waited %v behind a hanging handshake", d)
	}
	if err := <-stuck; err == nil {
		t.Fatal("hanging handshake succeeded")
	}
}

// Commands sent without waiting, with one hint, run on the peer in the
// order sent: a pipeline of INCRs on one key answers 1, 2, 3, ... in order,
// while other hints' pipelines run alongside.
func TestSendKeepsOrderPerHint(t *testing.T) {
	srv := redistest.StartServer(t)
	p := newPool(t, func(c *Config) { c.ConnsPerPeer = 3 })
	var wg sync.WaitGroup
	for hint := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint("ctr", hint)
			calls := make([]*Call, 200)
			for i := range calls {
				calls[i] = p.Send(srv.Addr, uint64(hint), args("INCR", key))
			}
			for i, k := range calls {
				r, err := k.Wait(nil)
				if want := fmt.Sprintf(":%d\r\n", i+1); err != nil || string(r) != want {
					t.Errorf("hint %d, INCR #%d = %q %v, want %q", hint, i+1, r, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// stallThenPong listens on 127.0.0.1: its first connection never answers
// (a stalled peer); later ones answer each command with +PONG.
func stallThenPong(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
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
		for n := 0; ; n++ {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			if n == 0 {
				continue // stalled: reads nothing, answers nothing
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				rd := resp.NewReader(nc, resp.DefaultReaderConfig())
				for {
					if _, err := rd.ReadCommand(); err != nil {
						return
					}
					if _, err := nc.Write([]byte("+PONG\r\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// Each call's deadline is fixed when it is sent, and a call that misses it
// breaks its connection: five pipelined calls to a stalled peer all fail
// about one Timeout after they were sent (not five), and the next call goes
// out on a new connection.
func TestStalledPeerFailsPipelineAtOnce(t *testing.T) {
	addr := stallThenPong(t)
	const tmo = 200 * time.Millisecond
	p := newPool(t, func(c *Config) { c.Timeout = tmo })
	start := time.Now()
	calls := make([]*Call, 5)
	for i := range calls {
		calls[i] = p.Send(addr, 0, args("PING"))
	}
	for i, k := range calls {
		if r, err := k.Wait(nil); err == nil {
			t.Fatalf("call %d to a stalled peer answered %q", i, r)
		}
	}
	if d := time.Since(start); d < tmo || d > 3*tmo {
		t.Fatalf("5 pipelined calls failed after %v, want about %v", d, tmo)
	}
	if r, err := p.Send(addr, 0, args("PING")).Wait(nil); err != nil || string(r) != "+PONG\r\n" {
		t.Fatalf("PING after the stall = %q %v, want +PONG on a new connection", r, err)
	}
}

// A call that could not be sent (nothing listens: the dial fails) answers
// its error from Wait at once.
func TestWaitOnUnsentCall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newPool(t, nil)
	if r, err := p.Send(addr, 0, args("PING")).Wait(nil); err == nil {
		t.Fatalf("Wait on a call to a closed port = %q, want the dial error", r)
	}
}
