package launch

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	goleak.VerifyTestMain(m)
}

func TestStartKillRestart(t *testing.T) {
	c := StartT(t, Options{N: 3})
	ctx := context.Background()
	if len(c.Addrs()) != 3 {
		t.Fatalf("running: %v", c.Addrs())
	}
	victim := c.Nodes()[1]
	victim.Kill()
	if !victim.Exited() || len(c.Running()) != 2 {
		t.Fatal("killed node still running")
	}
	if err := c.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartNode(ctx, victim.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
	n := c.Running()[0]
	if err := n.Stop(10 * time.Second); err != nil {
		t.Fatalf("SIGTERM: exit %v", err)
	}
	if err := c.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRestartSamePortsPauseResume(t *testing.T) {
	c := StartT(t, Options{N: 2, SamePorts: true})
	ctx := context.Background()
	victim := c.Nodes()[1]
	if err := victim.Pause(); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := victim.Info(pctx, "server")
	cancel()
	if err == nil {
		t.Fatal("a paused node answered")
	}
	if err := victim.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.Info(ctx, "server"); err != nil {
		t.Fatalf("resumed node: %v", err)
	}
	victim.Kill()
	n, err := c.StartNode(ctx, victim.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n.Addr != victim.Addr || n.GossipAddr != victim.GossipAddr || c.Node(victim.Name) != n {
		t.Fatalf("restart at %s/%s, was %s/%s", n.Addr, n.GossipAddr, victim.Addr, victim.GossipAddr)
	}
	if err := c.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
}
