package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
)

// startSDKEnv starts a one-node cluster-mode redis-server and a SQLite
// origin holding records rows, for the sdk target.
func startTestSDKEnv(t *testing.T, records int64, latency time.Duration) (*sdkEnv, *Workload) {
	t.Helper()
	w := testWorkload(t, records)
	env, err := startSDKEnv(context.Background(), SDKEnvConfig{Dir: t.TempDir(),
		RedisBin: redistest.Binary(t, "redis-server"), Origin: OriginConfig{Latency: latency}, Timeout: testHopTimeout}, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.close() })
	return env, w
}

// testHopTimeout is the SDK's per-hop timeout in tests: the client's 50 ms
// default turns a slow dial on a loaded machine into a miss or an error.
const testHopTimeout = 2 * time.Second

func testWorkload(t *testing.T, records int64) *Workload {
	t.Helper()
	wc, _ := YCSB("c")
	wc.Records = records
	w, err := NewWorkload(wc)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func newTestSDK(t *testing.T, env *sdkEnv, l1 bool) *SDK {
	t.Helper()
	s, err := env.target(context.Background(), l1, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func served(s *SDK) map[string]int64 {
	m := map[string]int64{}
	for _, ts := range s.Tiers() {
		m[ts.Tier] = ts.Served
	}
	return m
}

// TestSDKTiers walks one key down the tiers: origin (a miss for the
// harness), then the cluster, then L1, and checks writes and unknown keys.
func TestSDKTiers(t *testing.T) {
	env, _ := startTestSDKEnv(t, 100, 0)
	ctx := context.Background()
	s := newTestSDK(t, env, true)
	read := &Op{Type: OpRead, Key: KeyName(7)}
	if out, err := s.Do(ctx, read); out != Miss || err != nil {
		t.Fatalf("first read: %v %v, want a miss served by the origin", out, err)
	}
	if s.OriginQueries() != 1 || served(s)["origin"] != 1 {
		t.Fatalf("origin queries %d, served %v", s.OriginQueries(), served(s))
	}
	poll.Until(t, 5*time.Second, "a read served by L1", func() bool {
		out, err := s.Do(ctx, read)
		return out == Hit && err == nil && served(s)["l1"] > 0
	})
	if s.OriginQueries() != 1 {
		t.Errorf("origin queried %d times for one key", s.OriginQueries())
	}
	if out, err := s.Do(ctx, &Op{Type: OpRead, Key: "absent"}); out != Miss || err != nil {
		t.Errorf("absent key: %v %v", out, err)
	}
	if out, err := s.Do(ctx, &Op{Type: OpUpdate, Key: "new", Value: []byte("v")}); out != OK || err != nil {
		t.Fatalf("update: %v %v", out, err)
	}
	res, err := s.Client().Get(ctx, "new")
	if err != nil || string(res.Value) != "v" || res.Tier == client.TierOrigin {
		t.Errorf("read after write: %+v %v", res, err)
	}
}

// TestSDKRun runs YCSB C through the sdk target with L1 on and off and
// checks the per-tier and origin figures the Result carries.
func TestSDKRun(t *testing.T) {
	t.Parallel()
	env, w := startTestSDKEnv(t, 500, 0)
	lc := LoadConfig{Model: "closed", Concurrency: 4, Duration: time.Second}
	for _, l1 := range []bool{true, false} {
		s := newTestSDK(t, env, l1)
		res, err := Run(context.Background(), s, w, lc, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkSDKResult(t, res, l1, w.Config().Records)
	}
}

func checkSDKResult(t *testing.T, res *Result, l1 bool, records int64) {
	t.Helper()
	if res.Ops == 0 || res.ErrorCount != 0 || len(res.Tiers) != 3 {
		t.Fatalf("%s: ops %d errors %v tiers %v", res.Name, res.Ops, res.Errors, res.Tiers)
	}
	var share float64
	byTier := map[string]TierStats{}
	for _, ts := range res.Tiers {
		share += ts.ServedShare
		byTier[ts.Tier] = ts
	}
	if share < 0.999 || share > 1.001 {
		t.Errorf("%s: served shares sum to %v", res.Name, share)
	}
	if got := byTier["l1"].Served > 0; got != l1 {
		t.Errorf("%s: L1 served %d reads with L1 on=%v", res.Name, byTier["l1"].Served, l1)
	}
	// The cluster starts empty and keeps every value loaded, so each record
	// is loaded from the origin about once (a node timeout on this loaded
	// machine may cost a second load).
	if res.OriginQueries < 1 || res.OriginQueries > records+records/10 {
		t.Errorf("%s: %d origin queries for %d records", res.Name, res.OriginQueries, records)
	}
	if res.OriginQPS <= 0 || byTier["origin"].Served > res.Misses {
		t.Errorf("%s: origin qps %v, origin served %d, misses %d", res.Name, res.OriginQPS, byTier["origin"].Served, res.Misses)
	}
}

func TestNewSDKNeedsSeedsAndOrigin(t *testing.T) {
	if _, err := NewSDK(context.Background(), SDKConfig{Seeds: []string{"127.0.0.1:1"}}); err == nil {
		t.Error("no origin accepted")
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	seed := fmt.Sprintf("127.0.0.1:%d", port)
	if _, err := NewSDK(context.Background(), SDKConfig{Seeds: []string{seed}, Origin: &Origin{}}); err == nil || !strings.Contains(err.Error(), seed) {
		t.Errorf("unreachable seed: %v", err)
	}
}
