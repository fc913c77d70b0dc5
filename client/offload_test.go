package client_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/bench"
	"github.com/ringcache/ringcache/internal/redistest"
)

// TestMeasureOffload measures how much read load the SDK keeps off its
// origin: a scrambled Zipf(0.99) trace of Gets over 100k keys, all present
// in an embedded SQLite origin, through a cold one-node cluster
// (cluster-mode redis-server), with L1 on and then off. It reports origin
// queries per 1,000 Gets and the share of Gets each tier served, for the
// cold first half and the warm second half of the trace, with an unlimited
// cluster and with a 4 MB one. It takes about two minutes, so it runs only
// with RINGCACHE_MEASURE=1:
//
//	RINGCACHE_MEASURE=1 go test -count=1 -run TestMeasureOffload -v ./client/
//
// RINGCACHE_MEASURE_GETS sets the trace length (default 400000).
func TestMeasureOffload(t *testing.T) {
	if os.Getenv("RINGCACHE_MEASURE") != "1" {
		t.Skip("measurement: set RINGCACHE_MEASURE=1 to run (about two minutes)")
	}
	cfg := bench.DefaultOffload(t.TempDir())
	cfg.Env.RedisBin = redistest.Binary(t, "redis-server")
	if s := os.Getenv("RINGCACHE_MEASURE_GETS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("RINGCACHE_MEASURE_GETS: %v", err)
		}
		cfg.Gets = n
	}
	// An unlimited cluster keeps every key once loaded; a 4 MB one (about
	// 2.5 MB of data past cluster-mode redis-server's own overhead, ~15% of
	// the 100k records) must evict.
	for _, mem := range []int64{0, 4_000_000} {
		cfg.Env.ClusterMaxMemory = mem
		for _, r := range measureOffload(t, cfg) {
			cold, warm := r.Phases[0], r.Phases[1]
			if cold.Errors+warm.Errors != 0 || warm.PerThousand > 1000 {
				t.Errorf("%s: errors %d+%d, warm %.1f origin queries per 1000 Gets", r.Label, cold.Errors, warm.Errors, warm.PerThousand)
			}
			// Unbounded, only keys first seen in the warm half are loaded.
			if mem == 0 && warm.PerThousand >= cold.PerThousand {
				t.Errorf("%s: origin queries per 1000 Gets cold %.1f, warm %.1f", r.Label, cold.PerThousand, warm.PerThousand)
			}
		}
	}
}

func measureOffload(t *testing.T, cfg bench.OffloadConfig) []bench.OffloadRun {
	t.Helper()
	runs, note, err := bench.RunOffload(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := bench.WriteOffloadSummary(&out, runs); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%d Gets, Zipf %.2f over %d keys, %d goroutines\n%s", note, cfg.Gets, cfg.Theta, cfg.Records, cfg.Concurrency, out.String())
	return runs
}
