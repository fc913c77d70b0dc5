package membership

import (
	"net"
	"strconv"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

// TestAdvertiseAddrKeepsBindPort: an advertised address without a port
// advertises the bind port. It used to advertise port 0, so a node bound to
// 0.0.0.0 with an advertised IP (a container) could not be reached, and
// peers saw name conflicts.
func TestAdvertiseAddrKeepsBindPort(t *testing.T) {
	port := redistest.FreePort(t)
	cfg := DefaultLocalConfig()
	cfg.NodeName, cfg.BindPort, cfg.AdvertiseAddr, cfg.Logger = "adv", port, "127.0.0.1", testLogger()
	a := &node{}
	m, err := New(cfg, a.onChange)
	if err != nil {
		t.Fatal(err)
	}
	a.Membership = m
	t.Cleanup(func() { _ = m.Shutdown() })
	if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(port)); m.LocalAddr() != want {
		t.Fatalf("advertised %s, want %s", m.LocalAddr(), want)
	}
	b := start(t, "b", nil, m.LocalAddr())
	waitView(t, "adv,b", a, b)
}
