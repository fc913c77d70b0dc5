package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/bench"
	"github.com/ringcache/ringcache/internal/redistest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	// go-redis retries a failed dial from a goroutine that sleeps up to a
	// second before noticing its pool was closed; it is not ours to join.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// TestRunCommand runs `cachebench run` against a real redis-server and
// checks the summary and the JSON file.
func TestRunCommand(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t)
	dir := t.TempDir()
	var out strings.Builder
	args := []string{"run", "-addr", srv.Addr, "-workload", "a", "-records", "1000", "-duration", "1s",
		"-warmup", "0s", "-concurrency", "2", "-label", "redis", "-out", dir}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ycsb-a-redis-closed") {
		t.Errorf("summary:\n%s", out.String())
	}
	r, err := bench.ReadResult(filepath.Join(dir, "ycsb-a-redis-closed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops == 0 || r.ErrorCount != 0 || r.PerOp["update"].Count == 0 {
		t.Errorf("result: ops %d errors %v per-op %v", r.Ops, r.Errors, r.PerOp)
	}
}

func TestCompareAndSweepCommands(t *testing.T) {
	t.Parallel()
	a, b := redistest.StartServer(t), redistest.StartServer(t)
	dir := t.TempDir()
	var out strings.Builder
	args := []string{"compare", "-a", a.Addr, "-b", b.Addr, "-workload", "c", "-records", "500",
		"-duration", "1s", "-warmup", "0s", "-concurrency", "2", "-rounds", "1", "-out", dir}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "B/A") {
		t.Errorf("compare summary:\n%s", out.String())
	}
	args = []string{"sweep", "-addr", a.Addr, "-records", "500", "-start-rate", "200", "-factor", "2",
		"-max-rate", "400", "-step-duration", "1s", "-warmup", "0s", "-slo", "1s", "-concurrency", "4", "-out", dir}
	out.Reset()
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	b2, err := os.ReadFile(filepath.Join(dir, "sweep-ycsb-b-"+bench.SafeName(a.Addr)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var sr bench.SweepResult
	if err := json.Unmarshal(b2, &sr); err != nil || len(sr.Steps) != 2 || sr.BreakingRate != 400 {
		t.Errorf("sweep: %v steps %d breaking %v\n%s", err, len(sr.Steps), sr.BreakingRate, out.String())
	}
}

func TestBadInvocations(t *testing.T) {
	for _, args := range [][]string{
		nil, {"bogus"}, {"run", "-model", "open"}, {"compare", "-a", "x"}, {"suite"},
		{"scenario"}, {"run", "-workload", "e"}, {"run", "-pids", "nope"},
	} {
		if err := run(context.Background(), args, &strings.Builder{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestParsePIDs(t *testing.T) {
	m, err := parsePIDs("127.0.0.1:1=10,127.0.0.1:2=20")
	if err != nil || m["127.0.0.1:1"] != 10 || m["127.0.0.1:2"] != 20 {
		t.Errorf("%v %v", m, err)
	}
}
