package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes one line per result: verdict, ops, errors by kind,
// unavailability, stale reads beyond Δ, acknowledged writes missed, hit
// ratio before/during/after; then each result's failures, leftovers and
// offending history windows.
func WriteTable(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tverdict\tops\terrors\tunavailable\tstale>Δ (keys)\tstale after recovery\tnever-written\tacked writes missed\thit before/during/after\tmax latency")
	for _, r := range results {
		s := r.Summary
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%v\t%d (%d)\t%d\t%d\t%d\t%.2f/%.2f/%.2f\t%v\n", r.Scenario, r.Verdict, s.Ops,
			errorsByKind(s.Errors), s.Unavailable.Round(time.Millisecond), r.Check.Stale, r.Check.StaleKeys, r.StaleAfter,
			r.Check.NeverWritten, r.Check.MissedAcked, s.HitBefore, s.HitDuring, s.HitAfter, s.MaxLat.Round(time.Millisecond))
	}
	tw.Flush()
	fmt.Fprintln(w, "acked writes missed:", WAITNotBuilt)
	for _, r := range results {
		writeDetails(w, r)
	}
}

func writeDetails(w io.Writer, r Result) {
	if s := r.Summary; s.Unavailable > 0 {
		fmt.Fprintf(w, "\n-- %s: longest burst of failures %v from %.3fs; failures by client %s; timeline:\n%s", r.Scenario,
			s.Unavailable.Round(time.Millisecond), r.UnavailableFromSec, errorsByKind(s.ByClient),
			indent(strings.Join(r.Events, "\n")))
	}
	if len(r.Failures) == 0 && r.Error == "" && len(r.Leftovers) == 0 {
		return
	}
	fmt.Fprintf(w, "\n-- %s %s", r.Scenario, r.Verdict)
	if r.Verdict == XFail || r.Verdict == XPass {
		fmt.Fprintf(w, " (expected failure: %s)", r.Expected.Why)
	}
	fmt.Fprintln(w)
	for _, f := range r.Failures {
		fmt.Fprintln(w, "   check failed:", f)
	}
	if r.Error != "" {
		fmt.Fprintln(w, "   ERROR:", r.Error)
	}
	for _, l := range r.Leftovers {
		fmt.Fprintln(w, "   LEFT BEHIND:", l)
	}
	if r.Windows != "" {
		fmt.Fprint(w, indent(r.Windows))
	}
}

func indent(s string) string {
	return "   " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n   ") + "\n"
}

func errorsByKind(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// WriteFiles writes report.txt and report.json into dir.
func WriteFiles(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.txt"))
	if err != nil {
		return err
	}
	WriteTable(f, results)
	if err := f.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644)
}
