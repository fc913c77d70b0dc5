package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion is the version of the JSON result schema. It changes only
// when a field is renamed, removed or changes meaning; adding a field keeps
// it. bench/testdata/result.golden.json guards it.
const SchemaVersion = 1

// Result is everything measured by one run. Latencies are in microseconds,
// rates in operations per second, memory in bytes, times in seconds.
type Result struct {
	SchemaVersion int                       `json:"schema_version"`
	Name          string                    `json:"name"`
	Target        TargetInfo                `json:"target"`
	Workload      WorkloadConfig            `json:"workload"`
	Load          LoadConfig                `json:"load"`
	StartedAt     time.Time                 `json:"started_at"`
	DurationSec   float64                   `json:"duration_sec"`
	Ops           int64                     `json:"ops"`
	Throughput    float64                   `json:"throughput_ops"`
	OfferedRate   float64                   `json:"offered_rate_ops,omitempty"`
	Unsent        int64                     `json:"unsent,omitempty"`
	Latency       LatencySummary            `json:"latency"`
	PerOp         map[string]LatencySummary `json:"per_op"`
	SendLag       *LatencySummary           `json:"send_lag,omitempty"`
	Generator     *GeneratorStats           `json:"generator,omitempty"`
	Percentiles   []PercentilePoint         `json:"percentiles"`
	Errors        map[string]int64          `json:"errors"`
	ErrorCount    int64                     `json:"error_count"`
	Hits          int64                     `json:"hits"`
	Misses        int64                     `json:"misses"`
	HitRatio      float64                   `json:"hit_ratio"`
	Tiers         []TierStats               `json:"tiers,omitempty"`
	OriginQPS     float64                   `json:"origin_qps,omitempty"`
	OriginQueries int64                     `json:"origin_queries,omitempty"`
	Nodes         []NodeMetrics             `json:"nodes,omitempty"`
	Intervals     []Interval                `json:"intervals"`
	Events        []Event                   `json:"events,omitempty"`
}

// TargetInfo names the system under test.
type TargetInfo struct {
	Kind    string   `json:"kind"` // "resp", "sdk", "fake"
	Label   string   `json:"label"`
	Addrs   []string `json:"addrs,omitempty"`
	Cluster bool     `json:"cluster"`
}

// SendLag (open loop only) is how late requests were sent after their
// intended start: harness timer delay plus waiting for a free worker. It is
// part of the measured latency; a large p50 here means the load generator,
// not the server, was the bottleneck.

// LatencySummary is a histogram reduced to the usual percentiles (µs).
type LatencySummary struct {
	Count  int64   `json:"count"`
	MeanUs float64 `json:"mean_us"`
	P50Us  int64   `json:"p50_us"`
	P90Us  int64   `json:"p90_us"`
	P99Us  int64   `json:"p99_us"`
	P999Us int64   `json:"p999_us"`
	MaxUs  int64   `json:"max_us"`
}

// PercentilePoint is one point of the latency distribution.
type PercentilePoint struct {
	Percentile float64 `json:"percentile"`
	ValueUs    int64   `json:"value_us"`
}

// TierStats counts lookups answered by one cache tier ("l1", "cluster",
// "origin"). The resp target has none; the SDK target fills them.
// Hits, Misses and Errors are the tier's own counters (a lookup that a
// tier passed on is its miss; the origin's misses are "not found"); Served
// counts the reads whose answer came from the tier, and ServedShare is
// Served over the reads answered by any tier.
type TierStats struct {
	Tier        string  `json:"tier"`
	Hits        int64   `json:"hits"`
	Misses      int64   `json:"misses"`
	Errors      int64   `json:"errors"`
	HitRatio    float64 `json:"hit_ratio"`
	Served      int64   `json:"served,omitempty"`
	ServedShare float64 `json:"served_share,omitempty"`
}

// NodeMetrics is the server-side view of one node over the run.
type NodeMetrics struct {
	Addr            string  `json:"addr"`
	PID             int     `json:"pid,omitempty"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	RSSBytes        int64   `json:"rss_bytes"`
	UsedMemoryBytes int64   `json:"used_memory_bytes"`
	Keys            int64   `json:"keys"`
	BytesPerKeyUsed float64 `json:"bytes_per_key_used"`
	BytesPerKeyRSS  float64 `json:"bytes_per_key_rss"`
	Note            string  `json:"note,omitempty"`
}

// Interval is one second of a run (T is the end of the second, from the
// start of measurement).
type Interval struct {
	T          float64 `json:"t_sec"`
	Ops        int64   `json:"ops"`
	Throughput float64 `json:"throughput_ops"`
	P50Us      int64   `json:"p50_us"`
	P99Us      int64   `json:"p99_us"`
	MaxUs      int64   `json:"max_us"`
	Hits       int64   `json:"hits"`
	Misses     int64   `json:"misses"`
	Errors     int64   `json:"errors"`
	HitRatio   float64 `json:"hit_ratio"`
}

// Event marks something a scenario did during a run (a node started or
// killed), at T seconds from the start of measurement. DoneT is when the
// action returned (for a scenario: when the ring agreed again); 0 when it
// never did within the run.
type Event struct {
	T     float64 `json:"t_sec"`
	What  string  `json:"what"`
	DoneT float64 `json:"done_t_sec,omitempty"`
}

// distributionPercentiles are the points kept in Result.Percentiles.
var distributionPercentiles = []float64{0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90,
	95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}

// Summarize reduces a histogram of microsecond values.
func Summarize(h *hdrhistogram.Histogram) LatencySummary {
	if h.TotalCount() == 0 {
		return LatencySummary{}
	}
	return LatencySummary{Count: h.TotalCount(), MeanUs: h.Mean(),
		P50Us: h.ValueAtQuantile(50), P90Us: h.ValueAtQuantile(90),
		P99Us: h.ValueAtQuantile(99), P999Us: h.ValueAtQuantile(99.9), MaxUs: h.Max()}
}

func percentilePoints(h *hdrhistogram.Histogram) []PercentilePoint {
	if h.TotalCount() == 0 {
		return nil
	}
	out := make([]PercentilePoint, len(distributionPercentiles))
	for i, p := range distributionPercentiles {
		out[i] = PercentilePoint{Percentile: p, ValueUs: h.ValueAtQuantile(p)}
	}
	return out
}

func ratio(hits, misses int64) float64 {
	if hits+misses == 0 {
		return 0
	}
	return float64(hits) / float64(hits+misses)
}

// fill copies a Stats snapshot into r; dur is the measured duration.
func (r *Result) fill(st *Stats, dur time.Duration) {
	r.DurationSec = dur.Seconds()
	r.Latency = Summarize(st.Merged)
	r.Percentiles = percentilePoints(st.Merged)
	r.PerOp = make(map[string]LatencySummary)
	for t, h := range st.PerOp {
		if h.TotalCount() > 0 {
			r.PerOp[OpType(t).String()] = Summarize(h)
		}
	}
	if st.Lag.TotalCount() > 0 {
		lag := Summarize(st.Lag)
		r.SendLag = &lag
	}
	r.Errors = st.Errors
	for _, n := range st.Errors {
		r.ErrorCount += n
	}
	r.Ops = r.Latency.Count + r.ErrorCount
	r.Hits, r.Misses, r.HitRatio = st.Hits, st.Misses, ratio(st.Hits, st.Misses)
	r.Intervals = intervals(st.Intervals, dur)
	r.Throughput = completedWithin(st.Intervals, dur) / dur.Seconds()
}

func intervals(in []IntervalStats, dur time.Duration) []Interval {
	n := min(len(in), int(dur/intervalDuration))
	out := make([]Interval, n)
	for i := range n {
		iv := in[i]
		c := iv.Hist.TotalCount()
		out[i] = Interval{T: float64(i + 1), Ops: c + iv.Errors,
			Throughput: float64(c) / intervalDuration.Seconds(),
			P50Us:      iv.Hist.ValueAtQuantile(50), P99Us: iv.Hist.ValueAtQuantile(99),
			MaxUs: iv.Hist.Max(), Hits: iv.Hits, Misses: iv.Misses, Errors: iv.Errors,
			HitRatio: ratio(iv.Hits, iv.Misses)}
	}
	return out
}

// completedWithin counts successful operations that ended within dur of
// the start (requests started before the stop but ending after it are in
// the latency histograms but not in the throughput).
func completedWithin(in []IntervalStats, dur time.Duration) float64 {
	var n int64
	full := int(dur / intervalDuration)
	for i, iv := range in {
		switch {
		case i < full:
			n += iv.Hist.TotalCount()
		case i == full:
			frac := float64(dur%intervalDuration) / float64(intervalDuration)
			n += int64(frac * float64(iv.Hist.TotalCount()))
		}
	}
	return float64(n)
}

// WriteJSON writes v as indented JSON to path, creating its directory.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadResult decodes a Result written by WriteJSON and checks its schema
// version.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("bench: %s has schema_version %d, want %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
