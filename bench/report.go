package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteSummary writes a human-readable table of results, one row each,
// followed by per-node server metrics and any errors.
func WriteSummary(w io.Writer, results []*Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tmodel\tops/s\tp50 µs\tp90 µs\tp99 µs\tp99.9 µs\tmax µs\thit %\terrors\t")
	for _, r := range results {
		l := r.Latency
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%d\t%d\t%d\t%d\t%d\t%.2f\t%d\t\n", r.Name, modelLabel(r.Load),
			r.Throughput, l.P50Us, l.P90Us, l.P99Us, l.P999Us, l.MaxUs, 100*r.HitRatio, r.ErrorCount)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		writeNodes(w, r)
	}
	return nil
}

func modelLabel(l LoadConfig) string {
	if l.Model == "open" {
		return fmt.Sprintf("open@%.0f", l.Rate)
	}
	return fmt.Sprintf("closed×%d", l.Concurrency)
}

func writeNodes(w io.Writer, r *Result) {
	for _, n := range r.Nodes {
		fmt.Fprintf(w, "  %s node %s: cpu %.2fs, rss %.1f MiB, used_memory %.1f MiB, %d keys, %.0f B/key (used), %.0f B/key (rss)",
			r.Name, n.Addr, n.CPUSeconds, mib(n.RSSBytes), mib(n.UsedMemoryBytes), n.Keys, n.BytesPerKeyUsed, n.BytesPerKeyRSS)
		if n.Note != "" {
			fmt.Fprintf(w, " (%s)", n.Note)
		}
		fmt.Fprintln(w)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "  %s errors: %s\n", r.Name, formatCounts(r.Errors))
	}
	if l := r.SendLag; l != nil {
		fmt.Fprintf(w, "  %s send lag (intended → sent): p50 %dµs p99 %dµs max %dµs; unsent %d\n",
			r.Name, l.P50Us, l.P99Us, l.MaxUs, r.Unsent)
	}
	if r.Generator != nil {
		fmt.Fprintln(w, generatorLine(r.Name, r.Generator))
	}
	for _, t := range r.Tiers {
		fmt.Fprintf(w, "  %s tier %s: served %.2f%% of reads; hit ratio %.2f%% (%d hits, %d misses, %d errors)\n",
			r.Name, t.Tier, 100*t.ServedShare, 100*t.HitRatio, t.Hits, t.Misses, t.Errors)
	}
	if r.OriginQueries > 0 || len(r.Tiers) > 0 {
		fmt.Fprintf(w, "  %s origin: %d queries, %.0f/s, %.1f per 1000 reads\n",
			r.Name, r.OriginQueries, r.OriginQPS, PerThousand(r.OriginQueries, r.Hits+r.Misses))
	}
}

// PerThousand is n per 1000 of total (0 when total is 0).
func PerThousand(n, total int64) float64 {
	if total == 0 {
		return 0
	}
	return 1000 * float64(n) / float64(total)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func formatCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// csvHeader is the column list of WriteCSV; columns are only ever appended.
var csvHeader = []string{"name", "target", "workload", "model", "concurrency", "offered_rate_ops",
	"duration_sec", "ops", "throughput_ops", "mean_us", "p50_us", "p90_us", "p99_us", "p999_us",
	"max_us", "hits", "misses", "hit_ratio", "errors", "server_cpu_sec", "server_rss_bytes",
	"bytes_per_key_used"}

// WriteCSV writes one summary row per result (server columns sum over
// nodes, bytes per key averages them).
func WriteCSV(w io.Writer, results []*Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range results {
		if err := cw.Write(csvRow(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvRow(r *Result) []string {
	var cpu float64
	var rss int64
	var bpk float64
	for _, n := range r.Nodes {
		cpu, rss, bpk = cpu+n.CPUSeconds, rss+n.RSSBytes, bpk+n.BytesPerKeyUsed/float64(len(r.Nodes))
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	l := r.Latency
	return []string{r.Name, r.Target.Label, r.Workload.Name, r.Load.Model, strconv.Itoa(r.Load.Concurrency),
		f(r.OfferedRate), f(r.DurationSec), i(r.Ops), f(r.Throughput), f(l.MeanUs), i(l.P50Us), i(l.P90Us),
		i(l.P99Us), i(l.P999Us), i(l.MaxUs), i(r.Hits), i(r.Misses), f(r.HitRatio), i(r.ErrorCount),
		f(cpu), i(rss), f(bpk)}
}

// WriteCSVFile writes WriteCSV's output to path, creating its directory.
func WriteCSVFile(path string, results []*Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteCSV(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// SafeName turns a run name into a file name.
func SafeName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}
