package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/internal/faults"
	"github.com/ringcache/ringcache/internal/launch"
)

// TestFaultsCommand runs `cachebench faults` on the SDK-only scenario,
// shortened: the SDK target reads through the origin, the origin goes down,
// and the report files are written.
func TestFaultsCommand(t *testing.T) {
	if err := faults.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("SKIPPING: " + err.Error())
	}
	dir := t.TempDir()
	var out strings.Builder
	args := []string{"faults", "-scenario", "origin-outage", "-warmup", "500ms", "-settle", "500ms", "-hold", "500ms",
		"-bin", launch.TestBinary(t), "-out", dir}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res []faults.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	s := res[0].Summary
	if res[0].Verdict != faults.Pass || s.Errors["origin-unavailable"]+s.Errors["breaker-open"] == 0 || s.L1Reads == 0 {
		t.Fatalf("origin-outage through the SDK: %+v\n%s", res[0], out.String())
	}
}
