package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

func newRESPTarget(t *testing.T, addr string) *RESP {
	t.Helper()
	cfg := DefaultRESPConfig(addr)
	cfg.PoolSize = 4
	target, err := NewRESP(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	return target
}

// TestRESPAgainstRedis runs YCSB B on 2000 records against a real
// redis-server, closed loop then open loop, and checks counts, errors, hit
// ratio and the server-side metrics.
func TestRESPAgainstRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	target := newRESPTarget(t, srv.Addr)
	if target.Info().Cluster {
		t.Fatal("plain redis-server detected as a cluster")
	}
	cfg, _ := YCSB("b")
	cfg.Records = 2000
	w, err := NewWorkload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := Preload(ctx, target, w, 4); err != nil {
		t.Fatal(err)
	}
	lc := LoadConfig{Model: "closed", Concurrency: 4, Duration: time.Second, Warmup: -1}
	r, err := Run(ctx, target, w, lc, RunOptions{Probe: target.Probe(nil)})
	if err != nil {
		t.Fatal(err)
	}
	checkRedisRun(t, r, 2000)
	lc = LoadConfig{Model: "open", Concurrency: 4, Rate: 2000, Duration: time.Second, Warmup: -1}
	r, err = Run(ctx, target, w, lc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Ops + r.Unsent; n < 1990 || n > 2010 || r.Ops < 1000 || r.ErrorCount != 0 {
		t.Errorf("open loop at 2000/s for 1 s: %d ops + %d unsent, errors %v", r.Ops, r.Unsent, r.Errors)
	}
}

func checkRedisRun(t *testing.T, r *Result, records int64) {
	t.Helper()
	t.Logf("%d ops, %.0f ops/s, p99 %dµs, hit ratio %.3f, nodes %+v", r.Ops, r.Throughput,
		r.Latency.P99Us, r.HitRatio, r.Nodes)
	if r.Ops < 1000 || r.ErrorCount != 0 {
		t.Fatalf("ops %d errors %v", r.Ops, r.Errors)
	}
	reads := r.PerOp["read"].Count
	if f := float64(reads) / float64(r.Ops); f < 0.9 || f > 0.99 {
		t.Errorf("read fraction %.3f, want 0.95", f)
	}
	if reads != r.Hits+r.Misses || r.HitRatio < 0.999 {
		t.Errorf("reads %d hits %d misses %d: every preloaded key should hit", reads, r.Hits, r.Misses)
	}
	if len(r.Nodes) != 1 {
		t.Fatalf("nodes %+v", r.Nodes)
	}
	n := r.Nodes[0]
	if n.Keys != records || n.PID == 0 || n.RSSBytes <= 0 || n.CPUSeconds <= 0 || n.BytesPerKeyUsed <= 100 {
		t.Errorf("node metrics %+v", n)
	}
}

func TestRESPErrorsAndMisses(t *testing.T) {
	srv := redistest.StartServer(t)
	target := newRESPTarget(t, srv.Addr)
	ctx := context.Background()
	if out, err := target.Do(ctx, &Op{Type: OpRead, Key: "absent"}); out != Miss || err != nil {
		t.Errorf("GET absent: %v %v", out, err)
	}
	if _, err := srv.Do("LPUSH", "list", "x"); err != nil {
		t.Fatal(err)
	}
	_, err := target.Do(ctx, &Op{Type: OpRead, Key: "list"})
	if kind := ErrorKind(err); kind != "WRONGTYPE" {
		t.Errorf("GET on a list: %v classified %q", err, kind)
	}
	op := &Op{Type: OpRMW, Key: "k", Value: []byte("v"), TTL: time.Minute}
	if out, err := target.Do(ctx, op); out != Miss || err != nil {
		t.Errorf("RMW: %v %v", out, err)
	}
	if got, _ := srv.Do("TTL", "k"); got != ":60" {
		t.Errorf("TTL after write with TTL: %q", got)
	}
	if _, err := NewRESP(ctx, DefaultRESPConfig("127.0.0.1:1")); err == nil {
		t.Error("connecting to a closed port succeeded")
	}
}

// TestCompareTwoRedis interleaves two redis-servers and checks the order of
// the rounds and the ratios.
func TestCompareTwoRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, _ := YCSB("c")
	cfg.Records = 500
	side := func(label string) CompareTarget {
		srv := redistest.StartServer(t)
		target := newRESPTarget(t, srv.Addr)
		w, err := NewWorkload(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := Preload(ctx, target, w, 2); err != nil {
			t.Fatal(err)
		}
		return CompareTarget{Label: label, Target: target, Workload: w, Probe: target.Probe(nil)}
	}
	a, b := side("a"), side("b")
	lc := LoadConfig{Model: "closed", Concurrency: 2, Duration: time.Second, Warmup: -1}
	cr, err := Compare(ctx, "c", a, b, lc, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.A) != 2 || len(cr.B) != 2 {
		t.Fatalf("rounds a %d b %d", len(cr.A), len(cr.B))
	}
	order := []*Result{cr.A[0], cr.B[0], cr.A[1], cr.B[1]}
	for i := 1; i < len(order); i++ {
		if !order[i].StartedAt.After(order[i-1].StartedAt) {
			t.Errorf("run %s did not follow %s", order[i].Name, order[i-1].Name)
		}
	}
	if cr.Ratio.Throughput <= 0 || cr.Ratio.HitRatio < 0.99 || cr.Ratio.HitRatio > 1.01 {
		t.Errorf("ratios %+v", cr.Ratio)
	}
	var sum strings.Builder
	WriteCompareSummary(&sum, cr, "a", "b")
	t.Log(sum.String())
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
