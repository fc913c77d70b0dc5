package main

import (
	"context"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/bench"
	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/redistest"
)

// TestSDKCommand runs `cachebench sdk` end to end: a 3-node ringcache
// cluster of real cacheserver processes and a SQLite origin started by the
// harness, L1 on then off.
func TestSDKCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out strings.Builder
	args := []string{"sdk", "-records", "500", "-duration", "1s", "-warmup", "0s", "-concurrency", "2",
		"-cacheserver-bin", launch.TestBinary(t), "-origin-latency", "100us", "-out", dir,
		"-node-timeout", "2s"} // the 50 ms default is for production latencies, not a loaded test machine
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3-node ringcache cluster", "sdk-l1-sqlite", "sdk-nol1-sqlite", "tier origin", "per 1000 reads"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"ycsb-c-sdk-l1-sqlite-closed", "ycsb-c-sdk-nol1-sqlite-closed"} {
		r, err := bench.ReadResult(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Target.Kind != "sdk" || r.ErrorCount != 0 || r.OriginQueries == 0 || len(r.Tiers) != 3 {
			t.Errorf("%s: kind %s errors %v origin queries %d tiers %v", name, r.Target.Kind, r.Errors, r.OriginQueries, r.Tiers)
		}
	}
}

// TestSDKCommandWithSeeds points the sdk command at a cluster started here.
func TestSDKCommandWithSeeds(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	if r, err := srv.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil || r != "+OK" {
		t.Fatalf("ADDSLOTSRANGE: %q %v", r, err)
	}
	var out strings.Builder
	args := []string{"offload", "-seeds", srv.Addr, "-flush", "-l1", "off", "-records", "300", "-gets", "2000",
		"-concurrency", "2", "-node-timeout", "2s"}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "seeds: "+srv.Addr) || strings.Count(out.String(), "sdk-nol1-sqlite") != 2 {
		t.Errorf("offload summary:\n%s", out.String())
	}
}

func TestSDKBadInvocations(t *testing.T) {
	for _, args := range [][]string{
		{"sdk", "-l1", "sometimes"}, {"sdk", "-origin", "mysql"}, {"sdk", "-origin", "postgres"},
		{"sdk", "-origin-latency", "-1ms"}, {"offload", "-gets", "1"}, {"hitratio", "-budgets", "half"},
		{"hitratio", "-fraction", "2"}, {"hitratio", "-policies", ""},
	} {
		if err := run(context.Background(), args, &strings.Builder{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestParseL1Modes(t *testing.T) {
	for in, want := range map[string][]bool{"on": {true}, "off": {false}, "both": {true, false}} {
		if got, err := parseL1Modes(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := parseL1Modes("yes"); err == nil {
		t.Error("yes accepted")
	}
}

func TestParseList(t *testing.T) {
	if got := parseList(" a:1, ,b:2,"); !slices.Equal(got, []string{"a:1", "b:2"}) {
		t.Errorf("%q", got)
	}
	if got := parseList(""); got != nil {
		t.Errorf("%q", got)
	}
}

func TestSetDefault(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var w workloadFlags
	w.register(fs)
	setDefault(fs, "workload", "c")
	if w.ycsb != "c" || fs.Lookup("workload").DefValue != "c" {
		t.Errorf("value %q default %q", w.ycsb, fs.Lookup("workload").DefValue)
	}
}
