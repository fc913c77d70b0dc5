package cacheserver_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/resp"
)

// TestTrackingForwardedReadInvalidatedAtOnce: a tracking client that reads
// a key another node owns (its slot table is out of date, or it is not
// cluster-aware) is told at once that the value is invalid, since the node
// that forwarded the read never sees the key's writes and the owner does
// not know the client read it. A read of a key the node owns is tracked
// as usual, and a BCAST client is not told anything for its reads.
func TestTrackingForwardedReadInvalidatedAtOnce(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 2})
	a, b := c.Nodes[0], c.Nodes[1]
	remote, local := keyOwnedBy(t, c, b, "fwd:"), keyOwnedBy(t, c, a, "own:")
	w := dialPush(t, a.Addr, false)
	w.must("+OK\r\n", "MSET", remote, "1", local, "2")

	r := dialPush(t, a.Addr, true)
	r.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "OPTIN")
	r.must("$1\r\n2\r\n", "GET", local) // not opted in: not tracked
	r.must("+OK\r\n", "CLIENT", "CACHING", "YES")
	r.must("$1\r\n2\r\n", "GET", local) // owned here: tracked, no push yet
	r.quiet()
	r.must("+OK\r\n", "CLIENT", "CACHING", "YES")
	r.must("$1\r\n1\r\n", "GET", remote) // forwarded: invalid at once
	r.next(invPush(remote))
	r.quiet()
	r.must("*2\r\n$1\r\n2\r\n$1\r\n1\r\n", "MGET", local, remote) // not opted in
	r.quiet()
	r.must("+OK\r\n", "CLIENT", "CACHING", "YES")
	r.must("*2\r\n$1\r\n2\r\n$1\r\n1\r\n", "MGET", local, remote) // split: the forwarded part only
	r.next(invPush(remote))
	r.quiet()
	w.must("+OK\r\n", "SET", local, "3") // the tracked local key is still pushed on a write
	r.next(invPush(local))

	bc := dialPush(t, a.Addr, true)
	bc.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST")
	bc.must("$1\r\n1\r\n", "GET", remote)
	bc.quiet()
}

// pushConn is a raw RESP connection that reads replies and pushes in the
// order the node wrote them.
type pushConn struct {
	t  *testing.T
	nc net.Conn
	rr *resp.ReplyReader
}

func dialPush(t *testing.T, addr string, resp3 bool) *pushConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	p := &pushConn{t: t, nc: nc, rr: resp.NewReplyReader(nc, resp.DefaultReaderConfig())}
	if resp3 {
		if got := p.do("HELLO", "3"); len(got) < 2 || got[:2] != "%7" {
			t.Fatalf("HELLO 3: %q", got)
		}
	}
	return p
}

func (p *pushConn) do(args ...string) string {
	p.t.Helper()
	if _, err := p.nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
		p.t.Fatal(err)
	}
	return p.frame()
}

func (p *pushConn) frame() string {
	p.t.Helper()
	_ = p.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	raw, err := p.rr.ReadRaw(nil)
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	return string(raw)
}

func (p *pushConn) must(want string, args ...string) {
	p.t.Helper()
	if got := p.do(args...); got != want {
		p.t.Fatalf("%v: got %q, want %q", args, got, want)
	}
}

func (p *pushConn) next(want string) {
	p.t.Helper()
	if got := p.frame(); got != want {
		p.t.Fatalf("next frame %q, want %q", got, want)
	}
}

// quiet asserts no push is pending: a push queued before PING is written
// ahead of its PONG.
func (p *pushConn) quiet() { p.t.Helper(); p.must("+PONG\r\n", "PING") }

func invPush(key string) string {
	return fmt.Sprintf(">2\r\n$10\r\ninvalidate\r\n*1\r\n$%d\r\n%s\r\n", len(key), key)
}
