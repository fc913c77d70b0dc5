package cacheserver

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LATENCY LATEST|HISTORY|RESET|DOCTOR|GRAPH|HELP: Redis's latency monitor,
// minimal. With latency-monitor-threshold > 0 (milliseconds; 0, the
// default, turns it off) every command is timed (conn.call) and a command
// that took at least the threshold is recorded as a "command" event, or
// "fast-command" for a command flagged fast. Each event keeps, as Redis,
// one sample per second (the highest), the last 160 samples and its
// all-time maximum. Events Redis records elsewhere (expire-cycle,
// eviction-cycle, fork, aof-*) are not produced. LATENCY HISTOGRAM answers
// per command (per subcommand for containers) its calls and the distribution of the
// calls timed for /metrics (one in durationSample, cmdtiming.go), in
// Redis's shape: bucket upper bounds of 2^i µs, cumulative counts.

const latencyHistoryLen = 160 // Redis's LATENCY_TS_LEN

type latencySample struct {
	at int64 // unix seconds
	ms int64
}

type latencyEvent struct {
	samples []latencySample // oldest first, at most latencyHistoryLen
	max     int64
}

// latencyMonitor holds the threshold and the events; its zero value is off.
type latencyMonitor struct {
	threshold atomic.Int64 // milliseconds, 0: off
	mu        sync.Mutex
	events    map[string]*latencyEvent
}

var latencyConfigParam = configParam{
	get: func(s *Server) string { return strconv.FormatInt(s.latency.threshold.Load(), 10) },
	set: func(s *Server, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			return errors.New("argument couldn't be parsed into an integer")
		case n < 0:
			return errors.New("argument must be between 0 and 9223372036854775807 inclusive")
		}
		s.latency.threshold.Store(n)
		return nil
	},
}

// on reports whether commands are being timed for the monitor.
func (m *latencyMonitor) on() bool { return m.threshold.Load() > 0 }

// observeCommand records a command's duration when it reaches the threshold.
func (m *latencyMonitor) observeCommand(cmd *command, d time.Duration) {
	ms := d.Milliseconds()
	if t := m.threshold.Load(); t <= 0 || ms < t {
		return
	}
	event := "command"
	for _, f := range cmd.flags {
		if f == "fast" {
			event = "fast-command"
		}
	}
	m.add(event, ms, time.Now().Unix())
}

// add records a sample: the highest of one second is kept.
func (m *latencyMonitor) add(event string, ms, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*latencyEvent{}
	}
	e := m.events[event]
	if e == nil {
		e = &latencyEvent{}
		m.events[event] = e
	}
	e.max = max(e.max, ms)
	if n := len(e.samples); n > 0 && e.samples[n-1].at == now {
		e.samples[n-1].ms = max(e.samples[n-1].ms, ms)
		return
	}
	if len(e.samples) == latencyHistoryLen {
		e.samples = append(e.samples[:0], e.samples[1:]...)
	}
	e.samples = append(e.samples, latencySample{at: now, ms: ms})
}

// snapshot returns the events' names, sorted, and copies of the events.
func (m *latencyMonitor) snapshot() ([]string, map[string]latencyEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]latencyEvent, len(m.events))
	names := make([]string, 0, len(m.events))
	for n, e := range m.events {
		out[n] = latencyEvent{samples: append([]latencySample(nil), e.samples...), max: e.max}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, out
}

// reset drops the named events (all without names) and returns how many.
func (m *latencyMonitor) reset(names []string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(names) == 0 {
		n := len(m.events)
		m.events = nil
		return n
	}
	n := 0
	for _, name := range names {
		if _, ok := m.events[name]; ok {
			delete(m.events, name)
			n++
		}
	}
	return n
}

func latencyCommands() []*command {
	return []*command{{name: "latency", arity: -2, flags: []string{}, acl: []string{"@admin", "@slow", "@dangerous"},
		group: "server", since: "2.8.13", summary: "A container for latency diagnostics commands", handler: latencyCmd}}
}

var latencySubcommands = map[string]subcommand{
	"latest":    {2, latencyLatest},
	"history":   {3, latencyHistory},
	"reset":     {-2, latencyReset},
	"doctor":    {2, latencyDoctor},
	"graph":     {3, latencyGraph},
	"help":      {2, latencyHelp},
	"histogram": {-2, latencyHistogram},
}

func latencyCmd(c *conn, args [][]byte) { c.runSubcommand("LATENCY", latencySubcommands, args) }

func latencyLatest(c *conn, _ [][]byte) {
	names, events := c.srv.latency.snapshot()
	c.w.WriteArray(len(names))
	for _, n := range names {
		e := events[n]
		last := e.samples[len(e.samples)-1]
		c.w.WriteArray(4)
		c.w.WriteBulkString(n)
		c.w.WriteInt(last.at)
		c.w.WriteInt(last.ms)
		c.w.WriteInt(e.max)
	}
}

func latencyHistory(c *conn, args [][]byte) {
	_, events := c.srv.latency.snapshot()
	e := events[string(args[2])]
	c.w.WriteArray(len(e.samples))
	for _, s := range e.samples {
		c.w.WriteArray(2)
		c.w.WriteInt(s.at)
		c.w.WriteInt(s.ms)
	}
}

func latencyReset(c *conn, args [][]byte) {
	names := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		names = append(names, string(a))
	}
	c.w.WriteInt(int64(c.srv.latency.reset(names)))
}

// latencyGraph answers a short text summary of the event's samples (Redis
// draws an ASCII chart; the header line is the same).
func latencyGraph(c *conn, args [][]byte) {
	name := string(args[2])
	_, events := c.srv.latency.snapshot()
	e, ok := events[name]
	if !ok {
		c.replyErrString(fmt.Sprintf("ERR No samples available for event '%s'", name))
		return
	}
	lo, hi := e.samples[0].ms, e.samples[0].ms
	for _, s := range e.samples {
		lo, hi = min(lo, s.ms), max(hi, s.ms)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", name, hi, lo, e.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for _, s := range e.samples {
		fmt.Fprintf(&b, "%s %d ms\n", time.Unix(s.at, 0).UTC().Format(time.TimeOnly), s.ms)
	}
	c.w.WriteVerbatim("txt", b.String())
}

func latencyDoctor(c *conn, _ [][]byte) {
	names, events := c.srv.latency.snapshot()
	var b strings.Builder
	switch {
	case len(names) == 0 && !c.srv.latency.on():
		b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
			"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
			"If we weren't in a deep space mission I'd suggest to take a look at " +
			"https://redis.io/topics/latency-monitor.\n")
	case len(names) == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, " +
			"not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	default:
		b.WriteString("Dave, I have observed latency spikes in this Redis instance. " +
			"You don't mind talking about it, do you Dave?\n\n")
		for i, n := range names {
			e := events[n]
			sum := int64(0)
			for _, s := range e.samples {
				sum += s.ms
			}
			fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation 0ms, period 0 sec). "+
				"Worst all time event %dms.\n", i+1, n, len(e.samples), sum/int64(len(e.samples)), e.max)
		}
		b.WriteString("\nI have a few advices for you:\n\n- Check your commands: SLOWLOG is not " +
			"implemented here; INFO commandstats counts calls and errors per command.\n")
	}
	c.w.WriteVerbatim("txt", b.String())
}

func latencyHelp(c *conn, _ [][]byte) {
	c.writeHelp("LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
		"HELP",
		"    Prints this help.")
}

// latencyHistogram is LATENCY HISTOGRAM [command ...]: a container name
// stands for its subcommands ("client" for client|id, client|list...),
// unknown and uncalled names are skipped, no names means every command
// and subcommand called since CONFIG RESETSTAT.
func latencyHistogram(c *conn, args [][]byte) {
	all := c.srv.cmds.allStats()
	var out []namedStats
	for _, ns := range all {
		if ns.st.calls.Load() == 0 {
			continue
		}
		if len(args) == 2 {
			out = append(out, ns)
			continue
		}
		for _, a := range args[2:] {
			name := strings.ToLower(string(a))
			if ns.name == name || strings.HasPrefix(ns.name, name+"|") {
				out = append(out, ns)
				break
			}
		}
	}
	c.w.WriteMap(len(out))
	for _, ns := range out {
		c.w.WriteBulkString(ns.name)
		c.w.WriteMap(2)
		c.w.WriteBulkString("calls")
		c.w.WriteInt(ns.st.calls.Load())
		c.w.WriteBulkString("histogram_usec")
		writeHistogramUsec(c, &ns.st.duration)
	}
}

// writeHistogramUsec writes the cumulative counts of the non-empty buckets.
func writeHistogramUsec(c *conn, h *cmdDuration) {
	var bounds, counts []int64
	var cum int64
	for i := range durationBuckets + 1 {
		n := h.buckets[i].Load()
		if n == 0 {
			continue
		}
		cum += n
		bounds, counts = append(bounds, int64(1)<<i), append(counts, cum)
	}
	c.w.WriteMap(len(bounds))
	for i := range bounds {
		c.w.WriteInt(bounds[i])
		c.w.WriteInt(counts[i])
	}
}
