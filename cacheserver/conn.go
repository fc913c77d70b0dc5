package cacheserver

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// flushThreshold is the number of buffered reply bytes after which the loop
// writes them out even though more commands are buffered: it bounds the
// memory a long pipeline holds and stops reading from a client that does
// not read its replies (the write blocks).
const flushThreshold = 64 << 10

// conn is one client connection, served by one goroutine. Only that
// goroutine touches the fields above mu; fields under mu are read by CLIENT
// LIST / INFO from other connections.
type conn struct {
	srv     *Server
	nc      net.Conn
	dr      deadlineReader
	r       *resp.Reader
	w       *resp.Writer // where replies go: out, or discard under CLIENT REPLY OFF/SKIP
	out     *resp.Writer // the socket's writer
	discard *resp.Writer // nil until CLIENT REPLY first silences replies
	db      store.Ops
	scratch []byte
	noTouch bool
	ringGen atomic.Uint64 // ring generation of the command running here (inflight.go)
	noEvict atomic.Bool   // CLIENT NO-EVICT (clientmem.go)
	mem     connMem       // client memory accounting (clientmem.go)

	id            int64
	created       time.Time
	addr          string
	laddr         string
	authed        bool
	multi         *multiState
	closeNow      bool      // close after flushing the current reply (QUIT, protocol error)
	cmdCount      int64     // commands not yet added to the server's counter
	reply         replyMode // CLIENT REPLY state
	keyBuf        [][]byte
	writeDeadline time.Time   // the socket write deadline last set
	watched       [][]byte    // keys this connection WATCHes
	dirty         atomic.Bool // a watched key was written
	lastCmd       atomic.Pointer[command]
	current       *command               // the command being dispatched (nil: unknown), for commandstats
	errReplies    int64                  // error replies written (commandstats failed_calls)
	lastSub       atomic.Pointer[string] // "client|list": the last subcommand run (CLIENT LIST cmd=)
	subStat       *cmdStats              // the running subcommand's counters, set by runSubcommand (cmdstats.go)
	subRejected   bool                   // runSubcommand refused it (arity): a rejected call
	peer          bool                   // a peer node's forwarding connection (RINGCACHE PEER)
	peerNonce     []byte                 // the pending RINGCACHE CHALLENGE, good once (peerauth.go)
	waitGaveUp    time.Time              // a command last waited peerWait in vain (route_wait.go)
	protectedOnly bool                   // let in by protected mode for peer authentication only (protected.go)
	pend          []pending              // replies owed, in order, while forwards are in flight
	pendRing      *ring.Ring             // the ring pend's first command was routed with (route_retry.go)
	pendMixed     bool                   // a command of pend was routed with another ring
	capture       *resp.Writer           // replies of local commands queued behind pend
	fwdBuf        []byte                 // reused buffer for forwarded replies
	push          connPush               // tracking, pub/sub and push delivery (tracking_push.go)
	sampleTick    uint32                 // calls so far: one in durationSample is timed (cmdtiming.go)
	repl          replConn               // WAIT offsets, READONLY (repl_cmds.go)

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	resp3   bool
	lastAct atomic.Int64 // unix nanoseconds of the last command
	killed  atomic.Bool
	user    atomic.Pointer[aclHandle] // the ACL user, default until AUTH (acl.go)
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, db: s.store, id: s.nextID.Add(1), created: time.Now(),
		addr: nc.RemoteAddr().String(), laddr: nc.LocalAddr().String()}
	c.authed = s.acl.defaultNoPass()
	c.user.Store(s.acl.def)
	c.dr = deadlineReader{c: c}
	c.r = resp.NewReader(&c.dr, c.readerConfig())
	c.out = resp.NewWriter(countingWriter{c})
	c.w = c.out
	c.lastAct.Store(c.created.UnixNano())
	return c
}

// replyMode is the state CLIENT REPLY sets.
type replyMode int

const (
	replyOn   replyMode = iota
	replyOff            // no replies until CLIENT REPLY ON
	replySkip           // no reply to the next command
)

// readerConfig returns the reader limits for the connection's state.
func (c *conn) readerConfig() resp.ReaderConfig {
	rc := resp.DefaultReaderConfig()
	rc.MaxBulkLen = c.srv.live.maxBulkLen.Load()
	rc.MaxQueryBuffer = c.srv.live.maxQueryBuf.Load()
	rc.MaxMultibulkLen = c.srv.cfg.MaxMultibulkLen
	rc.Unauthenticated = !c.authed
	return rc
}

// proto returns the protocol version the client speaks, 2 or 3.
func (c *conn) proto() int { return c.out.Protocol() }

// serve is the connection's goroutine: read every buffered command, execute
// it, and flush the replies once nothing more is buffered.
func (c *conn) serve() {
	defer c.srv.removeConn(c)
	defer c.releaseMem()
	defer c.detachPush()
	defer c.nc.Close()
	if !c.handshake() { // tls.go
		return
	}
	for !c.closeNow {
		args, err := c.r.ReadCommand()
		if err != nil {
			c.resolve()
			c.readFailed(err)
			break
		}
		c.dr.frameDone()
		c.beginCmd()
		c.execute(args)
		if c.r.Buffered() == 0 || c.w.Buffered() > flushThreshold || len(c.pend) >= maxPending {
			c.resolve()
			if !c.flush() || c.srv.inShutdown.Load() && c.r.Buffered() == 0 {
				break
			}
		}
	}
	c.resolve()
	c.flush()
}

// readFailed answers a protocol error (then the connection closes).
func (c *conn) readFailed(err error) {
	var pe *resp.ProtocolError
	if errors.As(err, &pe) {
		c.srv.stats.protoErrors.Add(1)
		c.replyErrString(pe.Error())
		return
	}
	if !errors.Is(err, io.EOF) && !c.srv.inShutdown.Load() && !c.killed.Load() {
		c.srv.log.Debug("connection read", "id", c.id, "err", err)
	}
}

// flush writes buffered replies; it reports false when the connection must
// close (write error, output limit).
func (c *conn) flush() bool {
	if c.cmdCount > 0 {
		c.srv.stats.commands.Add(c.cmdCount)
		c.cmdCount = 0
		c.lastAct.Store(time.Now().UnixNano())
	}
	if c.push.box.active.Load() {
		return c.flushWithPushes()
	}
	return c.writeOut()
}

// writeOut writes the buffered replies (see flush).
func (c *conn) writeOut() bool {
	if c.w.Buffered() == 0 {
		return true
	}
	if lim := c.srv.cfg.OutputBufferLimit; lim > 0 && int64(c.w.Buffered()) > lim {
		c.srv.log.Warn("client output buffer limit reached, closing", "id", c.id, "addr", c.addr)
		return false
	}
	c.refreshWriteDeadline()
	c.noteLoopMem(0)
	ok := c.w.Flush() == nil
	c.noteLoopMem(0)
	return ok
}

// refreshWriteDeadline keeps the socket's write deadline between
// WriteTimeout/2 and WriteTimeout ahead, re-arming it (a runtime timer
// update) at most once per WriteTimeout/2 rather than on every flush.
func (c *conn) refreshWriteDeadline() {
	wt := c.srv.cfg.WriteTimeout
	if wt <= 0 {
		return
	}
	now := time.Now()
	if c.writeDeadline.Sub(now) < wt/2 {
		c.writeDeadline = now.Add(wt)
		_ = c.nc.SetWriteDeadline(c.writeDeadline)
	}
}

// wake interrupts a blocked read so the loop notices shutdown.
func (c *conn) wake() { _ = c.nc.SetReadDeadline(time.Now()) }

// kill closes the connection from another goroutine (CLIENT KILL).
func (c *conn) kill() {
	c.killed.Store(true)
	c.nc.Close()
}

// countingWriter writes to the socket and counts output bytes.
type countingWriter struct{ c *conn }

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.c.nc.Write(p)
	w.c.srv.stats.netOut.Add(int64(n))
	return n, err
}

// deadlineReader sets the socket's read deadline before each read: the idle
// timeout while waiting for a new command, the frame timeout (from the
// frame's first byte) while a command is incomplete, and an immediate
// deadline once the server shuts down and nothing is pending.
type deadlineReader struct {
	c          *conn
	frameStart time.Time // zero between commands
	deadline   time.Time // the deadline last set
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	midFrame := !d.frameStart.IsZero() || d.c.r.Buffered() > 0
	var want time.Time
	switch {
	case midFrame:
		if d.frameStart.IsZero() {
			d.frameStart = time.Now()
		}
		if ft := d.c.srv.cfg.FrameTimeout; ft > 0 {
			want = d.frameStart.Add(ft)
		}
	default:
		if it := time.Duration(d.c.srv.live.idleTimeout.Load()); it > 0 {
			want = time.Now().Add(it)
		}
	}
	if !want.Equal(d.deadline) {
		_ = d.c.nc.SetReadDeadline(want)
		d.deadline = want
	}
	if !midFrame && d.c.srv.inShutdown.Load() {
		_ = d.c.nc.SetReadDeadline(time.Unix(1, 0))
		d.deadline = time.Unix(1, 0)
	}
	n, err := d.c.nc.Read(p)
	if n > 0 {
		d.c.srv.stats.netIn.Add(int64(n))
		if d.frameStart.IsZero() {
			d.frameStart = time.Now()
		}
		d.c.noteLoopMem(n)
	}
	return n, err
}

// frameDone marks the end of a command.
func (d *deadlineReader) frameDone() { d.frameStart = time.Time{} }
