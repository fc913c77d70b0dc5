package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

func fakeBinary(t *testing.T, help string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cacheserver")
	script := "#!/bin/sh\necho '" + help + "'\nexit 2\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScenarioNeedsJoin(t *testing.T) {
	cfg := DefaultScenario(t.TempDir())
	cfg.Bin = fakeBinary(t, "Usage: cacheserver --bind ADDR --port N")
	_, err := RunScenario(context.Background(), cfg, nil)
	if !errors.Is(err, ErrNoJoin) || !strings.Contains(err.Error(), "kill-node") {
		t.Errorf("want ErrNoJoin naming the scenario, got %v", err)
	}
	if err := CheckJoinSupport(context.Background(), fakeBinary(t, "  --join ADDR  seed to join")); err != nil {
		t.Errorf("help with --join rejected: %v", err)
	}
	cfg.Bin = filepath.Join(t.TempDir(), "absent")
	if _, err := RunScenario(context.Background(), cfg, nil); err == nil || errors.Is(err, ErrNoJoin) {
		t.Errorf("missing binary: %v", err)
	}
	cfg.Kind = "split-brain"
	if _, err := RunScenario(context.Background(), cfg, nil); err == nil {
		t.Error("unknown scenario accepted")
	}
}

// TestProcessLifecycle starts redis-server through the harness's process
// management, reads its /proc figures, and SIGKILLs it.
func TestProcessLifecycle(t *testing.T) {
	bin := redistest.Binary(t, "redis-server")
	p, err := StartRedis(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cpu, rss, err := ProcStats(p.PID())
	if err != nil || rss <= 0 || cpu < 0 {
		t.Errorf("ProcStats: cpu %v rss %v err %v", cpu, rss, err)
	}
	p.Kill()
	if !p.Exited() || ping(p.Addr) == nil {
		t.Error("process still answering after SIGKILL")
	}
	p.Kill() // idempotent
	p.Stop(0)
	if _, err := StartProcess(context.Background(), fakeBinary(t, "x"), nil, p.Addr, filepath.Join(t.TempDir(), "log")); err == nil {
		t.Error("a process that exits at once was reported ready")
	}
}
