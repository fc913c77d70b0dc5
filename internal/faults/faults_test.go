package faults

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	goleak.VerifyTestMain(m)
}

// requireTools skips (fails with CI=true) unless the suite can run.
func requireTools(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("SKIPPING the fault suite: " + err.Error())
	}
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
	if !res.Expected.Pass && (res.Check.Stale == 0 || !strings.Contains(res.Windows, "stale read")) {
		t.Fatalf("partition-heal found no resurrected value: %+v", res.Check)
	}
}

// TestLeftoversAreDetected: the self-check sees a chain, a rule and a
// process left behind, and nothing once they are removed.
func TestLeftoversAreDetected(t *testing.T) {
	requireTools(t)
	fw, err := NewFirewall()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fw.Close() })
	if err := ipt("-A", fw.Chain(), "-p", "tcp", "--dport", "1", "-j", "DROP"); err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command("sleep", "60")
	sleep.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uidBase() + 15, Gid: uidBase() + 15}}
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
	left := strings.Join(Leftovers(fw.Chain(), nil), "\n")
	for _, want := range []string{"-N " + fw.Chain(), "-j " + fw.Chain(), "--dport 1", "process " + strconv.Itoa(sleep.Process.Pid)} {
		if !strings.Contains(left, want) {
			t.Errorf("leftovers lack %q:\n%s", want, left)
		}
	}
	sleep.Process.Kill()
	sleep.Wait()
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if left := Leftovers(fw.Chain(), nil); len(left) > 0 {
		t.Fatalf("after cleanup: %v", left)
	}
}

// TestFailingScenarioCleansUp: a scenario that errors, or panics, with a
// partition in place and a node paused leaves nothing behind.
func TestFailingScenarioCleansUp(t *testing.T) {
	requireTools(t)
	for _, panics := range []bool{false, true} {
		sc := Scenario{Name: "broken", Run: func(ctx context.Context, env *Env) error {
			env.Start("isolate and pause")
			if err := env.FW.Isolate(env.Victim, others(env.C, env.Victim)(), Gossip|Peer); err != nil {
				return err
			}
			if err := env.Victim.Pause(); err != nil {
				return err
			}
			if panics {
				panic("scenario bug")
			}
			return errors.New("scenario failed")
		}}
		cfg := ShortConfig()
		cfg.Binary, cfg.Dir = launch.TestBinary(t), t.TempDir()
		cfg.Warmup, cfg.Settle = 100*time.Millisecond, 100*time.Millisecond
		res := Run(context.Background(), cfg, sc)
		if res.Error == "" || len(res.Leftovers) > 0 || !res.Bad() {
			t.Fatalf("panics=%v: error %q, leftovers %v", panics, res.Error, res.Leftovers)
		}
		t.Logf("panics=%v: %s; nothing left behind", panics, res.Error)
	}
}

// TestVerdictsAndExpectations: an expected failure that passes fails the
// suite (so the table gets flipped); every scenario has one expectation.
func TestVerdictsAndExpectations(t *testing.T) {
	for _, c := range []struct {
		errored, ok, expectPass bool
		want                    string
		bad                     bool
	}{
		{false, true, true, Pass, false}, {false, false, true, Fail, true},
		{false, false, false, XFail, false}, {false, true, false, XPass, true}, {true, true, true, Error, true},
	} {
		got := verdict(c.errored, c.ok, c.expectPass)
		if got != c.want || (Result{Verdict: got}).Bad() != c.bad {
			t.Errorf("verdict(%v, %v, %v) = %s, want %s (bad %v)", c.errored, c.ok, c.expectPass, got, c.want, c.bad)
		}
	}
	if len(Expectations) != len(Scenarios()) {
		t.Fatalf("%d expectations for %d scenarios", len(Expectations), len(Scenarios()))
	}
	for _, sc := range Scenarios() {
		if e, ok := Expectations[sc.Name]; !ok || (!e.Pass && e.Why == "") {
			t.Errorf("%s: expectation %+v", sc.Name, e)
		}
	}
}
