package faults

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/launch"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// requireTools skips (fails with CI=true) unless the suite can run: root
// for per-node uids and iptables.
func requireTools(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "the fault suite needs root (per-node uids, iptables)"
	} else if _, err := exec.LookPath("iptables"); err != nil {
		why = "iptables not found"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip("SKIPPING the fault suite: " + why)
}

func runSmoke(t *testing.T, name string) Result {
	requireTools(t)
	sc, err := Find(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ShortConfig()
	cfg.Binary, cfg.Dir = launch.TestBinary(t), t.TempDir()
	var log bytes.Buffer
	cfg.Log = &log
	res := Run(context.Background(), cfg, sc)
	var table bytes.Buffer
	WriteTable(&table, []Result{res})
	t.Logf("%s\n%s", log.String(), table.String())
	if len(res.Leftovers) > 0 {
		t.Fatalf("left behind: %v", res.Leftovers)
	}
	if res.Error != "" {
		t.Fatalf("scenario error: %s", res.Error)
	}
	if res.Bad() {
		t.Fatalf("%s: verdict %s (expected pass: %v): %v", name, res.Verdict, res.Expected.Pass, res.Failures)
	}
	return res
}

// TestSmokeCrashPrimary: the unavailability window of a SIGKILLed node is
// measured and bounded.
func TestSmokeCrashPrimary(t *testing.T) {
	res := runSmoke(t, "crash-primary")
	if res.Summary.Unavailable <= 0 || res.Summary.ErrOps == 0 {
		t.Fatalf("a SIGKILLed node caused no unavailability: %+v", res.Summary)
	}
}

// TestSmokePartitionHeal: the suite finds the known bug (old values come
// back after a gossip partition heals) until fencing lands.
func TestSmokePartitionHeal(t *testing.T) {
	res := runSmoke(t, "partition-heal")
	if !res.Expected.Pass && (res.StaleAfter == 0 || !strings.Contains(res.Windows, "stale read")) {
		t.Fatalf("partition-heal found no resurrected value: %+v", res.Check)
	}
}
