package cacheserver

import (
	"io"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

// execute runs one command received from the client: lookup, arity and
// authentication checks, MULTI queueing, then the handler.
func (c *conn) execute(args [][]byte) {
	if len(args) == 0 {
		return
	}
	c.cmdCount++
	if c.reply != replyOn {
		c.executeSilenced(args)
	} else {
		c.dispatch(args)
	}
	if c.push.trk.caching {
		c.endCommand(args)
	}
	if c.srv.track.hasPend.Load() {
		c.srv.track.flushBcast() // BCAST: one message per prefix per command
	}
}

// executeSilenced runs a command whose reply CLIENT REPLY OFF or SKIP
// suppresses.
func (c *conn) executeSilenced(args [][]byte) {
	mode := c.reply
	if c.discard == nil {
		c.discard = resp.NewWriter(io.Discard)
	}
	c.discard.SetProtocol(c.out.Protocol())
	c.w = c.discard
	c.dispatch(args)
	c.w = c.out
	c.discard.Reset(io.Discard)
	if mode == replySkip && c.reply == replySkip {
		c.reply = replyOn
	}
}

// dispatch looks the command up and runs or queues it.
func (c *conn) dispatch(args [][]byte) {
	cmd := c.srv.cmds.lookup(args[0])
	c.current = cmd
	if len(c.pend) > 0 && (cmd == nil || cmd.firstKey <= 0 || !cmd.arityOK(len(args)) || !c.authed ||
		c.push.subCount.Load() > 0) {
		c.resolve()
	}
	switch {
	case cmd == nil:
		c.reject(unknownCommandErr(args))
	case !cmd.arityOK(len(args)):
		c.reject(arityErr(cmd.name))
	case !c.authed && !cmd.noAuth:
		c.rejectUnauthed() // protected.go
	case c.aclDenied(cmd, args): // acl_check.go: before queueing or forwarding
	case c.push.subCount.Load() > 0 && !cmd.allowedSubscribed() && c.subscribedRESP2():
		c.reject(subscribedErr(cmd, args))
	case cmd.firstKey > 0 && c.routed(cmd, args):
		// forwarded, split, redirected or refused
	case c.multi != nil && !cmd.runsInMulti():
		c.queue(cmd, args)
	default:
		if h := c.srv.testHookLocal.Load(); h != nil {
			(*h)(args)
		}
		c.call(cmd, args)
	}
	c.leaveRing() // inflight.go
}

// call runs a command here, timing one call in durationSample per
// connection for redis_command_duration_seconds (cmdtiming.go).
func (c *conn) call(cmd *command, args [][]byte) {
	c.sampleTick++
	sampled := c.sampleTick%durationSample == 0
	if !sampled && !c.srv.latency.on() {
		c.invoke(cmd, args)
		return
	}
	start := time.Now()
	c.invoke(cmd, args)
	d := time.Since(start)
	if sampled {
		c.statsOf(cmd).duration.observe(d)
	}
	c.srv.latency.observeCommand(cmd, d) // latency.go: LATENCY events over latency-monitor-threshold
}

// invoke runs a command's handler, first invalidating the WATCHes on the
// keys a write command touches (FLUSHALL/FLUSHDB: cmdFlush does).
func (c *conn) invoke(cmd *command, args [][]byte) {
	c.lastCmd.Store(cmd)
	if cmd.write && cmd.firstKey > 0 && c.srv.watch.active.Load() > 0 {
		c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
		c.srv.watch.touch(c.keyBuf)
		clear(c.keyBuf)
	}
	if cmd.write && !cmd.ownLease && c.srv.leases.active.Load() > 0 {
		c.voidLeases(cmd, args) // leasecmd.go: a write voids its keys' leases first
	}
	c.subStat, c.subRejected = nil, false
	errs := c.errReplies
	if c.srv.track.active.Load() > 0 {
		c.trackCall(cmd, args) // tracking.go: remember reads, invalidate writes
	} else {
		cmd.handler(c, args)
	}
	c.countCall(cmd, c.errReplies != errs) // cmdstats.go
	if cmd.write && c.srv.cs.Load() != nil {
		c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
		c.replicate(cmd) // repl_cmds.go: queue the keys for the replicas
		clear(c.keyBuf)
	}
}

// unknownCommandErr formats Redis's unknown-command error, arguments
// truncated to 128 bytes in all, as Redis does.
func unknownCommandErr(args [][]byte) string {
	var b strings.Builder
	name := args[0]
	if len(name) > 128 {
		name = name[:128]
	}
	b.WriteString("ERR unknown command '")
	b.Write(name)
	b.WriteString("', with args beginning with: ")
	n := 0
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		if len(a) > 128-n {
			a = a[:128-n]
		}
		b.WriteByte('\'')
		b.Write(a)
		b.WriteString("' ")
		n += len(a) + 3
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(b.String())
}
