package membership

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
)

// memberlist's Shutdown does not wait for a probe in flight: probeNode
// ends by itself once its probe timeout passes.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/hashicorp/memberlist.(*Memberlist).probeNode"))
}

// node is a Membership plus the last member list it delivered.
type node struct {
	*Membership
	mu    sync.Mutex
	names []string
	calls int
}

func (n *node) onChange(ms []Member) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.names = n.names[:0]
	for _, m := range ms {
		n.names = append(n.names, m.Name)
	}
	n.calls++
}

func (n *node) view() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.names, ",")
}

func testLogger() *slog.Logger {
	level := slog.LevelError
	if os.Getenv("RINGCACHE_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func start(t *testing.T, name string, tags map[string]string, join ...string) *node {
	t.Helper()
	return startOn(t, name, 0, tags, join...)
}

func startOn(t *testing.T, name string, port int, tags map[string]string, join ...string) *node {
	t.Helper()
	cfg := DefaultLocalConfig()
	cfg.NodeName, cfg.BindPort, cfg.Tags, cfg.Join = name, port, tags, join
	cfg.Logger = testLogger()
	cfg.Admit = func(m Member) error {
		if m.Tags["ring"] != tags["ring"] {
			return fmt.Errorf("ring config %q differs from ours %q", m.Tags["ring"], tags["ring"])
		}
		return nil
	}
	return startWith(t, cfg)
}

// startWith starts a node with cfg; it is shut down when the test ends.
func startWith(t *testing.T, cfg Config) *node {
	t.Helper()
	n := &node{}
	m, err := New(cfg, n.onChange)
	if err != nil {
		t.Fatalf("start %s: %v", cfg.NodeName, err)
	}
	n.Membership = m
	t.Cleanup(func() { _ = m.Shutdown() })
	return n
}

func waitView(t *testing.T, want string, nodes ...*node) {
	t.Helper()
	for _, n := range nodes {
		poll.Until(t, 10*time.Second, fmt.Sprintf("%s to see %s (sees %s)", n.cfg.NodeName, want, n.view()),
			func() bool { return n.view() == want })
	}
}

func status(n *node, name string) string {
	for _, m := range n.AllMembers() {
		if m.Name == name {
			return m.Status
		}
	}
	return ""
}

var tags = map[string]string{"ring": "1"}

func threeNodes(t *testing.T) (a, b, c *node) {
	a = start(t, "a", tags)
	b = start(t, "b", tags, a.LocalAddr())
	c = start(t, "c", tags, a.LocalAddr())
	waitView(t, "a,b,c", a, b, c)
	return a, b, c
}

func TestJoinAndGracefulLeave(t *testing.T) {
	a, b, c := threeNodes(t)
	if !b.Joined() || !c.Joined() {
		t.Fatal("Joined() false after joining")
	}
	if err := c.Leave(); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	waitView(t, "a,b", a, b)
	for _, n := range []*node{a, b} {
		if s := status(n, "c"); s != "left" {
			t.Errorf("%s records c as %q, want left", n.cfg.NodeName, s)
		}
	}
}

func TestFailureDetectionAndRejoinUnderSameName(t *testing.T) {
	a, b, c := threeNodes(t)
	oldAddr := c.LocalAddr()
	_ = c.Shutdown() // crash: no leave message
	begin := time.Now()
	waitView(t, "a,b", a, b)
	t.Logf("failure detected and ring view updated in %v (test timers)", time.Since(begin))
	if s := status(a, "c"); s != "failed" {
		t.Errorf("a records c as %q, want failed", s)
	}
	c2 := start(t, "c", tags, a.LocalAddr())
	waitView(t, "a,b,c", a, b, c2)
	if c2.LocalAddr() == oldAddr {
		t.Fatalf("restarted node reused address %s; test wants a new one", oldAddr)
	}
	for _, m := range a.Members() {
		if m.Name == "c" && m.Addr != c2.LocalAddr() {
			t.Errorf("a sees c at %s, want the new address %s", m.Addr, c2.LocalAddr())
		}
	}
}

func TestDifferentRingConfigIsRefused(t *testing.T) {
	a, b, _ := threeNodes(t)
	odd := start(t, "odd", map[string]string{"ring": "2"}, a.LocalAddr())
	// The odd node's own join attempt is refused; give gossip time to
	// spread it anyway and check nobody admitted it.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(a.view(), "odd") || strings.Contains(b.view(), "odd") {
			t.Fatalf("odd node admitted: a=%s b=%s", a.view(), b.view())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if odd.Joined() {
		t.Error("odd node reports joined")
	}
}

func TestJoinRetriesUntilSeedAppears(t *testing.T) {
	port := redistest.FreePort(t)
	late := start(t, "late", tags, fmt.Sprintf("127.0.0.1:%d", port))
	poll.Until(t, 2*time.Second, "a few failed join attempts", func() bool { return !late.Joined() })
	seed := startOn(t, "seed", port, tags)
	waitView(t, "late,seed", late, seed)
	if !late.Joined() {
		t.Fatal("Joined() false after joining")
	}
}

func TestPauseHoldsBackViews(t *testing.T) {
	a := start(t, "a", tags)
	b := start(t, "b", tags, a.LocalAddr())
	waitView(t, "a,b", a, b)
	a.SetPaused(true)
	c := start(t, "c", tags, b.LocalAddr())
	waitView(t, "a,b,c", b, c)
	if v := a.view(); v != "a,b" {
		t.Fatalf("paused node's view changed to %s", v)
	}
	a.SetPaused(false)
	waitView(t, "a,b,c", a)
}

func TestShutdownTwiceAndBadConfig(t *testing.T) {
	a := start(t, "a", tags)
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	bad := []func(*Config){
		func(c *Config) { c.NodeName = "" },
		func(c *Config) { c.BindPort = 70000 },
		func(c *Config) { c.JoinBackoffMin = 0 },
		func(c *Config) { c.CoalescePeriod = 0 },
	}
	for i, f := range bad {
		cfg := DefaultLocalConfig()
		cfg.NodeName = "x"
		f(&cfg)
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("case %d: New accepted a bad config", i)
		}
	}
}

func TestSlogAdapterLevels(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := recordHandler{func(r slog.Record) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Level.String()+" "+r.Message)
	}}
	l := newStdLogger(slog.New(h))
	l.Print("[WARN] memberlist: something odd")
	l.Print("[ERR] serf: broken")
	l.Print("plain line")
	want := []string{"WARN memberlist: something odd", "ERROR serf: broken", "INFO plain line"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

type recordHandler struct{ f func(slog.Record) }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.f(r)
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }
