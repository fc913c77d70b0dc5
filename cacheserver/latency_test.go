package cacheserver

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLatencyMonitorRecordsEvents: with latency-monitor-threshold set, a
// command at or over it is a "command" event (a fast one "fast-command"),
// one sample per second keeping the highest; LATEST, HISTORY, GRAPH,
// DOCTOR and RESET report them as Redis does. Durations are injected.
func TestLatencyMonitorRecordsEvents(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "CONFIG", "SET", "latency-monitor-threshold", "100")
	keys, get := srv.cmds.byName["keys"], srv.cmds.byName["get"]
	srv.latency.observeCommand(keys, 99*time.Millisecond) // under the threshold
	srv.latency.add("command", 300, 1000)
	srv.latency.add("command", 500, 1000) // same second: the highest stays
	srv.latency.add("command", 200, 1001)
	srv.latency.observeCommand(get, 150*time.Millisecond)
	now := time.Now().Unix()
	latest := c.do("LATENCY", "LATEST")
	want := fmt.Sprintf("*2\r\n*4\r\n$7\r\ncommand\r\n:1001\r\n:200\r\n:500\r\n*4\r\n$12\r\nfast-command\r\n:%d\r\n:150\r\n:150\r\n", now)
	if latest != want && !strings.Contains(latest, "fast-command\r\n:"+fmt.Sprint(now+1)) {
		t.Fatalf("LATENCY LATEST = %q, want %q", latest, want)
	}
	if got, want := c.do("LATENCY", "HISTORY", "command"), "*2\r\n*2\r\n:1000\r\n:500\r\n*2\r\n:1001\r\n:200\r\n"; got != want {
		t.Fatalf("LATENCY HISTORY = %q, want %q", got, want)
	}
	if got := c.do("LATENCY", "GRAPH", "command"); !strings.Contains(got, "command - high 500 ms, low 200 ms") {
		t.Fatalf("LATENCY GRAPH = %q", got)
	}
	if got := c.do("LATENCY", "DOCTOR"); !strings.Contains(got, "2. fast-command: 1 latency spikes") {
		t.Fatalf("LATENCY DOCTOR = %q", got)
	}
	c.must(":1\r\n", "LATENCY", "RESET", "command", "nope")
	c.must(":1\r\n", "LATENCY", "RESET")
	c.must("*0\r\n", "LATENCY", "LATEST")
	for range latencyHistoryLen + 5 {
		srv.latency.add("command", 100, now)
		now++
	}
	if got := strings.Count(c.do("LATENCY", "HISTORY", "command"), "*2\r\n"); got != latencyHistoryLen {
		t.Fatalf("HISTORY keeps %d samples, want %d", got, latencyHistoryLen)
	}
}

// TestLatencyHistogram: LATENCY HISTOGRAM reports calls per command and
// skips unknown and uncalled ones.
func TestLatencyHistogram(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "CONFIG", "RESETSTAT")
	c.must("+OK\r\n", "SET", "a", "b")
	c.must("+OK\r\n", "SET", "c", "d")
	got := c.do("LATENCY", "HISTOGRAM", "blabla", "set", "get")
	if !strings.HasPrefix(got, "*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n") {
		t.Fatalf("LATENCY HISTOGRAM = %q", got)
	}
}

// TestCommandstatsPerSubcommand: container commands are counted per
// subcommand in INFO commandstats and LATENCY HISTOGRAM, as Redis 7
// (cmdstat_client|id), arity errors of a subcommand as its rejected calls,
// and a command is counted once it has run (INFO does not count itself).
func TestCommandstatsPerSubcommand(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "CONFIG", "RESETSTAT")
	c.do("CLIENT", "ID")
	c.do("CLIENT", "LIST")
	c.do("CONFIG", "GET")
	c.do("CONFIG", "NOPE")
	info := c.do("INFO", "commandstats")
	for _, want := range []string{
		"cmdstat_client|id:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n",
		"cmdstat_client|list:calls=1,",
		"cmdstat_config|get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n",
		"cmdstat_config|resetstat:calls=1,",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, info)
		}
	}
	for _, no := range []string{"cmdstat_info:", "cmdstat_client:", "cmdstat_config:"} {
		if strings.Contains(info, no) {
			t.Errorf("INFO commandstats has %q:\n%s", no, info)
		}
	}
	got := c.do("LATENCY", "HISTOGRAM", "client")
	if !strings.HasPrefix(got, "*4\r\n$9\r\nclient|id\r\n") || !strings.Contains(got, "$11\r\nclient|list\r\n") {
		t.Fatalf("LATENCY HISTOGRAM client = %q", got)
	}
}
