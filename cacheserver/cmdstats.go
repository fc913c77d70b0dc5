package cacheserver

import (
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// INFO commandstats: per command, as Redis's cmdstat_<name> lines, the
// calls (commands that ran), rejected_calls (refused before running:
// arity, authentication, MULTI queue-time and cluster redirection errors)
// and failed_calls (ran and replied an error). Container commands (CONFIG,
// CLIENT, ...) are counted per subcommand, as Redis 7 does
// (cmdstat_config|get); a call is counted once it has run, so INFO does not
// count itself. usec is not measured (0): timing every command would cost
// two clock reads on the hot path.

// cmdStats are one command's counters.
type cmdStats struct {
	calls, rejected, failed atomic.Int64
	duration                cmdDuration // sampled, for /metrics (cmdtiming.go)
}

// countRejected counts a rejection of the command c is executing (none for
// an unknown command).
func (c *conn) countRejected() {
	if cmd := c.current; cmd != nil {
		cmd.stats.rejected.Add(1)
	}
}

// subStat returns the counters of subcommand full ("config|get").
func (t *commandTable) subStat(full string) *cmdStats {
	if v, ok := t.subStats.Load(full); ok {
		return v.(*cmdStats)
	}
	v, _ := t.subStats.LoadOrStore(full, &cmdStats{})
	return v.(*cmdStats)
}

// statsOf returns the counters the command just run counts in: its
// subcommand's for a container command.
func (c *conn) statsOf(cmd *command) *cmdStats {
	if c.subStat != nil {
		return c.subStat
	}
	return &cmd.stats
}

// countCall counts a command that ran (or that runSubcommand refused).
func (c *conn) countCall(cmd *command, failed bool) {
	st := c.statsOf(cmd)
	if c.subRejected {
		st.rejected.Add(1)
		return
	}
	st.calls.Add(1)
	if failed {
		st.failed.Add(1)
	}
}

// namedStats is one cmdstat_ line's name and counters.
type namedStats struct {
	name string
	st   *cmdStats
}

// allStats returns the commands and subcommands called or rejected at
// least once, sorted by name.
func (t *commandTable) allStats() []namedStats {
	var out []namedStats
	used := func(st *cmdStats) bool {
		return st.calls.Load() != 0 || st.rejected.Load() != 0 || st.failed.Load() != 0
	}
	for _, cmd := range t.sorted {
		if used(&cmd.stats) {
			out = append(out, namedStats{cmd.name, &cmd.stats})
		}
	}
	t.subStats.Range(func(k, v any) bool {
		if st := v.(*cmdStats); used(st) {
			out = append(out, namedStats{k.(string), st})
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// infoCommandstats writes the cmdstat_ lines.
func (s *Server) infoCommandstats(b *strings.Builder) {
	for _, ns := range s.cmds.allStats() {
		b.WriteString("cmdstat_" + ns.name + ":calls=")
		b.WriteString(strconv.FormatInt(ns.st.calls.Load(), 10))
		b.WriteString(",usec=0,usec_per_call=0.00,rejected_calls=")
		b.WriteString(strconv.FormatInt(ns.st.rejected.Load(), 10))
		b.WriteString(",failed_calls=")
		b.WriteString(strconv.FormatInt(ns.st.failed.Load(), 10))
		b.WriteString("\r\n")
	}
}

// resetCommandstats is CONFIG RESETSTAT's part.
func (s *Server) resetCommandstats() {
	reset := func(st *cmdStats) {
		st.calls.Store(0)
		st.rejected.Store(0)
		st.failed.Store(0)
		st.duration.reset()
	}
	for _, cmd := range s.cmds.sorted {
		reset(&cmd.stats)
	}
	s.cmds.subStats.Range(func(_, v any) bool {
		reset(v.(*cmdStats))
		return true
	})
}
