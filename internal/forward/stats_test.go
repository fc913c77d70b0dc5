package forward

import (
	"net"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

// TestUnreachablePeerWaitAndStats: a command to a peer that cannot be
// dialled fails in Wait (it used to dereference the call it never made),
// and the pool counts the failed dial and the failed command; a command to
// a live peer counts as ok with one open connection.
func TestUnreachablePeerWaitAndStats(t *testing.T) {
	p := newPool(t, nil)
	dead := net.JoinHostPort("127.0.0.1", "1") // nothing listens on port 1
	if _, err := p.Send(dead, 0, args("PING")).Wait(nil); err == nil {
		t.Fatal("Wait on an unreachable peer: no error")
	}
	srv := redistest.StartServer(t)
	if raw, err := p.Send(srv.Addr, 0, args("PING")).Wait(nil); err != nil || string(raw) != "+PONG\r\n" {
		t.Fatalf("PING: %q %v", raw, err)
	}
	want := Stats{OK: 1, Failed: 1, Dials: 2, DialErrors: 1, Conns: 1}
	if got := p.Stats(); got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	p.Close()
	if got := p.Stats().Conns; got != 0 {
		t.Fatalf("%d connections open after Close", got)
	}
}

// TestResendRunsAgainAndWaitCountsOnce: Resend sends a call's command
// again (to the same or another peer) and Wait on one call, asked twice,
// returns the same reply and is counted once.
func TestResendRunsAgainAndWaitCountsOnce(t *testing.T) {
	p := newPool(t, nil)
	a, b := redistest.StartServer(t), redistest.StartServer(t)
	k := p.Send(a.Addr, 7, args("INCR", "n"))
	for range 2 {
		if raw, err := k.Wait(nil); err != nil || string(raw) != ":1\r\n" {
			t.Fatalf("INCR on a: %q %v", raw, err)
		}
	}
	if raw, err := p.Resend(a.Addr, 7, k).Wait(nil); err != nil || string(raw) != ":2\r\n" {
		t.Fatalf("INCR resent to a: %q %v", raw, err)
	}
	if raw, err := p.Resend(b.Addr, 7, k).Wait(nil); err != nil || string(raw) != ":1\r\n" {
		t.Fatalf("INCR resent to b: %q %v", raw, err)
	}
	if got := p.Stats().OK; got != 3 {
		t.Fatalf("%d commands counted ok, want 3", got)
	}
}
