package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/result.golden.json")

// sampleResult fills every field of the schema with fixed values.
func sampleResult() *Result {
	cfg, _ := YCSB("b")
	return &Result{SchemaVersion: SchemaVersion, Name: "ycsb-b-redis-closed",
		Target:    TargetInfo{Kind: "resp", Label: "redis", Addrs: []string{"127.0.0.1:6379"}},
		Workload:  cfg,
		Load:      LoadConfig{Model: "open", Concurrency: 16, Rate: 5000, Duration: 10 * time.Second, Warmup: time.Second},
		StartedAt: time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC), DurationSec: 10, Ops: 50010,
		Throughput: 5000, OfferedRate: 5000, Unsent: 3,
		Latency:     LatencySummary{Count: 50000, MeanUs: 120.5, P50Us: 100, P90Us: 150, P99Us: 400, P999Us: 900, MaxUs: 2000},
		PerOp:       map[string]LatencySummary{"read": {Count: 47500, MeanUs: 110, P50Us: 95, P90Us: 140, P99Us: 380, P999Us: 850, MaxUs: 1900}},
		Percentiles: []PercentilePoint{{50, 100}, {99, 400}, {100, 2000}},
		SendLag:     &LatencySummary{Count: 50010, MeanUs: 30, P50Us: 20, P90Us: 40, P99Us: 90, P999Us: 300, MaxUs: 900},
		Errors:      map[string]int64{"timeout": 10}, ErrorCount: 10, Hits: 47000, Misses: 500, HitRatio: 0.9894736842105263,
		Tiers: []TierStats{{Tier: "l1", Hits: 30000, Misses: 17500, HitRatio: 0.631578947368421,
			Served: 30000, ServedShare: 0.631578947368421}},
		OriginQPS: 50, OriginQueries: 500,
		Nodes: []NodeMetrics{{Addr: "127.0.0.1:6379", PID: 42, CPUSeconds: 3.5, RSSBytes: 20 << 20,
			UsedMemoryBytes: 15 << 20, Keys: 100000, BytesPerKeyUsed: 157.28640, BytesPerKeyRSS: 209.7152}},
		Intervals: []Interval{{T: 1, Ops: 5001, Throughput: 5000, P50Us: 100, P99Us: 400, MaxUs: 1500,
			Hits: 4700, Misses: 50, Errors: 1, HitRatio: 0.9894736842105263}},
		Events: []Event{{T: 5, What: "kill node 127.0.0.1:7380"}},
	}
}

func TestResultGolden(t *testing.T) {
	got, err := json.MarshalIndent(sampleResult(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "result.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JSON schema changed (bump SchemaVersion if a field was renamed or removed, then go test -run Golden -update):\n%s", got)
	}
}

func TestResultRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r", "result.json")
	in := sampleResult()
	if err := WriteJSON(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the result:\n%+v\n%+v", in, out)
	}
	in.SchemaVersion = 99
	if err := WriteJSON(path, in); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResult(path); err == nil {
		t.Error("a future schema version was accepted")
	}
}

func TestSummaryAndCSV(t *testing.T) {
	r := sampleResult()
	var sum, csv strings.Builder
	if err := WriteSummary(&sum, []*Result{r}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ycsb-b-redis-closed", "open@5000", "98.95", "timeout=10", "tier l1"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
	if err := WriteCSV(&csv, []*Result{r, r}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "ycsb-b-redis-closed,redis,ycsb-b,open,16,5000,10,50010,5000,") {
		t.Errorf("csv:\n%s", csv.String())
	}
}
