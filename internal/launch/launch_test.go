package launch

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
