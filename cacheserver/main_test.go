package cacheserver

import (
	"bufio"
	"errors"
	"github.com/ringcache/ringcache/internal/poll"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"

	"github.com/ringcache/ringcache/internal/resp"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	// memberlist's Shutdown does not wait for a probe in flight: probeNode
	// ends by itself once its probe timeout passes.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/hashicorp/memberlist.(*Memberlist).probeNode"))
}

// testConfig returns DefaultConfig for tests (same limits as production).
func testConfig() Config { return DefaultConfig() }

// startServer starts a Server on 127.0.0.1:0 with cfg and closes it (and
// waits for Serve to return) when the test ends. Shared by every test of the
// package.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	srv, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	pollUntil(t, "listener registered", func() bool { return srv.Addr() != nil })
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv
}

// pollUntil polls cond until it holds or 10s pass.
func pollUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 10*time.Second, what, cond)
}

// rawClient is a RESP client on a plain TCP connection, for exact replies.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	rd *bufio.Reader
}

func dialRaw(t testing.TB, srv *Server) *rawClient {
	t.Helper()
	return dialAddr(t, srv.Addr().String())
}

func dialAddr(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, rd: bufio.NewReader(nc)}
}

// send writes raw bytes.
func (r *rawClient) send(s string) {
	r.t.Helper()
	if _, err := r.nc.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// do sends a command and returns the raw reply text (one whole reply).
func (r *rawClient) do(args ...string) string {
	r.t.Helper()
	r.send(string(resp.AppendCommandStrings(nil, args...)))
	return r.reply()
}

// reply reads one whole reply, returned verbatim.
func (r *rawClient) reply() string {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := readRawReply(r.rd)
	if err != nil {
		r.t.Fatalf("read reply: %v (got %q)", err, out)
	}
	return out
}

// readRawReply reads one RESP2/RESP3 reply and returns its bytes.
func readRawReply(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return line, err
	}
	out := line
	n := 0
	if len(line) > 3 {
		for _, ch := range line[1 : len(line)-2] {
			if ch == '-' {
				n = -1
				break
			}
			n = n*10 + int(ch-'0')
		}
	}
	switch line[0] {
	case '$', '=', '!':
		if n < 0 {
			return out, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return out, err
		}
		return out + string(buf), nil
	case '*', '~', '>', '%', '|':
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			s, err := readRawReply(rd)
			out += s
			if err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// expectClosed asserts the server closes the connection (EOF) soon.
func (r *rawClient) expectClosed() {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1024)
	for {
		_, err := r.rd.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatal("connection not closed by the server")
		}
		return
	}
}
