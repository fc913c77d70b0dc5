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
// and failed_calls (ran and replied an error). usec is not measured (0):
// timing every command would cost two clock reads on the hot path.

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

// infoCommandstats writes the cmdstat_ lines of the commands called or
// rejected at least once, sorted by name.
func (s *Server) infoCommandstats(b *strings.Builder) {
	cmds := append([]*command(nil), s.cmds.sorted...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, cmd := range cmds {
		calls, rej, failed := cmd.stats.calls.Load(), cmd.stats.rejected.Load(), cmd.stats.failed.Load()
		if calls == 0 && rej == 0 && failed == 0 {
			continue
		}
		b.WriteString("cmdstat_" + cmd.name + ":calls=")
		b.WriteString(strconv.FormatInt(calls, 10))
		b.WriteString(",usec=0,usec_per_call=0.00,rejected_calls=")
		b.WriteString(strconv.FormatInt(rej, 10))
		b.WriteString(",failed_calls=")
		b.WriteString(strconv.FormatInt(failed, 10))
		b.WriteString("\r\n")
	}
}

// resetCommandstats is CONFIG RESETSTAT's part.
func (s *Server) resetCommandstats() {
	for _, cmd := range s.cmds.sorted {
		cmd.stats.calls.Store(0)
		cmd.stats.rejected.Store(0)
		cmd.stats.failed.Store(0)
		cmd.stats.duration.reset()
	}
}
