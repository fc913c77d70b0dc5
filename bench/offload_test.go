package bench

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

// TestRunOffload replays a small trace through the SDK with L1 on and off
// against a real cluster-mode redis-server and a SQLite origin.
func TestRunOffload(t *testing.T) {
	t.Parallel()
	cfg := DefaultOffload(t.TempDir())
	cfg.Env.RedisBin, cfg.Env.Timeout = redistest.Binary(t, "redis-server"), testHopTimeout
	cfg.Records, cfg.Gets, cfg.Concurrency = 2000, 20000, 4
	runs, note, err := RunOffload(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || !strings.Contains(note, "cluster-mode redis-server") {
		t.Fatalf("%d runs, note %q", len(runs), note)
	}
	w, _ := NewWorkload(WorkloadConfig{Records: cfg.Records, Mix: Mix{Read: 1}, Theta: cfg.Theta, Seed: cfg.Seed})
	trace := offloadTrace(w, cfg.Gets)
	coldKeys := int64(len(slices.Compact(slices.Sorted(slices.Values(trace[:len(trace)/2])))))
	for _, r := range runs {
		cold, warm := r.Phases[0], r.Phases[1]
		// The cluster starts empty: every distinct key of the cold half
		// must come from the origin at least once.
		if cold.Errors != 0 || warm.Errors != 0 || cold.OriginQueries < coldKeys || cold.OriginQueries > cold.Gets {
			t.Errorf("%s cold: %+v (distinct keys %d)", r.Label, cold, coldKeys)
		}
		if warm.PerThousand >= cold.PerThousand {
			t.Errorf("%s: warm %.1f origin queries per 1000 Gets, cold %.1f", r.Label, warm.PerThousand, cold.PerThousand)
		}
		l1 := warm.Tiers[0]
		if l1.Tier != "l1" || (l1.Served > 0) != r.L1 {
			t.Errorf("%s: L1 served %d in the warm half", r.Label, l1.Served)
		}
	}
	var out strings.Builder
	if err := WriteOffloadSummary(&out, runs); err != nil || strings.Count(out.String(), "warm") != 2 {
		t.Errorf("summary: %v\n%s", err, out.String())
	}
}
