package cacheserver

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Push delivery: frames that other connections' goroutines send to this one
// (invalidations, tracking-redir-broken, pub/sub messages).
//
// Senders never write to the socket and never block on it: they append the
// encoded frame to the connection's outbox under outbox.mu. The outbox is
// emptied by exactly one of two writers, serialised by outbox.wmu:
//
//   - the connection's own loop, at its flush points: it appends the outbox
//     after the replies it has buffered and writes both at once;
//   - a drainer goroutine, started by a sender when the loop is idle (not
//     busy, typically blocked in Read), which writes the outbox alone.
//
// busy is set by the loop before it executes a command (moving the frames
// queued so far ahead of the reply) and cleared, under wmu, when it moves
// the outbox into its reply buffer at flush. While busy the drainer leaves
// the outbox alone, so a frame produced while a command ran is written
// after that command's reply: a tracked read's reply (which
// may carry the old value) always precedes the invalidation of a write that
// followed it, and frames never land inside a reply (each socket write is
// whole frames). The outbox counts toward OutputBufferLimit: a client that
// does not read is disconnected instead of growing memory, and a drainer
// blocked on it is cut by WriteTimeout like the loop.

// connPush is the tracking, pub/sub and push state of one connection.
type connPush struct {
	box      outbox
	busy     bool                             // loop-local copy of box.busy
	trk      trackState                       // CLIENT TRACKING (tracking.go)
	subs     [numSubKinds]map[string]struct{} // channels, patterns, shard channels (pubsub.go), under pubsub.mu
	subCount atomic.Int32                     // subscriptions of every kind, read by other connections
}

// outbox holds encoded push frames waiting to be written.
type outbox struct {
	active   atomic.Bool // the connection ever tracked, subscribed or was pushed to
	mu       sync.Mutex
	buf      []byte
	inflight int  // bytes a drainer is writing (client memory accounting)
	busy     bool // the loop is executing commands and will drain buf at its next flush
	draining bool // a drainer goroutine runs
	closed   bool // the connection is gone: drop frames
	wmu      sync.Mutex
	wg       sync.WaitGroup // drainers
}

// activate switches the connection's loop to the push-aware flush path.
// Call it on the connection's own goroutine before it can receive frames
// whose order relative to its replies matters (CLIENT TRACKING, SUBSCRIBE).
func (c *conn) activatePush() { c.push.box.active.Store(true) }

// beginCmd marks the loop busy before it executes a command; frames queued
// before that go ahead of the command's reply.
func (c *conn) beginCmd() {
	if c.push.busy || !c.push.box.active.Load() {
		return
	}
	b := &c.push.box
	b.mu.Lock()
	b.busy = true
	c.out.WriteRaw(b.buf)
	b.buf = nil
	c.notePushMem(b.inflight)
	b.mu.Unlock()
	c.push.busy = true
}

// flushWithPushes is flush for a connection that may receive pushes: the
// outbox goes after the buffered replies, both in one write under wmu.
func (c *conn) flushWithPushes() bool {
	b := &c.push.box
	b.wmu.Lock()
	defer b.wmu.Unlock()
	b.mu.Lock()
	c.out.WriteRaw(b.buf)
	b.buf = nil
	b.busy = false
	c.notePushMem(b.inflight)
	b.mu.Unlock()
	c.push.busy = false
	return c.writeOut()
}

// pushFrame queues one encoded frame for the connection; it may be called
// from any goroutine. A connection whose outbox passes OutputBufferLimit is
// closed; one that brings the clients' memory over maxmemory-clients starts
// an eviction pass (clientmem.go).
func (c *conn) pushFrame(frame []byte) {
	if c.queuePush(frame) {
		c.srv.evictClients()
	}
}

// queuePush appends frame to the outbox and reports whether it grew.
func (c *conn) queuePush(frame []byte) bool {
	b := &c.push.box
	b.active.Store(true)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.buf = append(b.buf, frame...)
	if lim := c.srv.cfg.OutputBufferLimit; lim > 0 && int64(len(b.buf)) > lim {
		c.srv.log.Warn("client output buffer limit reached by pushes, closing", "id", c.id, "addr", c.addr)
		b.closed, b.buf = true, nil
		c.notePushMem(b.inflight)
		c.kill()
		return false
	}
	c.notePushMem(len(b.buf) + b.inflight)
	if !b.busy && !b.draining {
		b.draining = true
		b.wg.Add(1)
		go c.drainPushes()
	}
	return true
}

// drainPushes writes the outbox while the loop is idle.
func (c *conn) drainPushes() {
	b := &c.push.box
	defer b.wg.Done()
	for {
		b.wmu.Lock()
		b.mu.Lock()
		if b.busy || b.closed || len(b.buf) == 0 {
			b.draining = false
			b.mu.Unlock()
			b.wmu.Unlock()
			return
		}
		out := b.buf
		b.buf, b.inflight = nil, len(out)
		b.mu.Unlock()
		err := c.writeDirect(out)
		b.wmu.Unlock()
		b.mu.Lock()
		b.inflight = 0
		c.notePushMem(len(b.buf))
		if err != nil {
			b.closed, b.buf, b.draining = true, nil, false
			c.notePushMem(0)
			b.mu.Unlock()
			c.kill()
			return
		}
		b.mu.Unlock()
	}
}

// writeDirect writes p to the socket under wmu, with a fresh write deadline.
func (c *conn) writeDirect(p []byte) error {
	if wt := c.srv.cfg.WriteTimeout; wt > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(wt))
	}
	n, err := c.nc.Write(p)
	c.srv.stats.netOut.Add(int64(n))
	return err
}

// pushClosed reports whether the connection is gone (for redirect targets).
func (c *conn) pushClosed() bool {
	b := &c.push.box
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// closePush drops the frames not yet queued and every later one (QUIT).
func (c *conn) closePush() {
	b := &c.push.box
	b.mu.Lock()
	b.closed, b.buf = true, nil
	c.notePushMem(b.inflight)
	b.mu.Unlock()
}

// detachPush runs when the connection's loop ends, after the socket is
// closed: it drops further frames, joins the drainer, and leaves tracking
// and every channel.
func (c *conn) detachPush() {
	c.closePush()
	c.push.box.wg.Wait()
	c.srv.track.disable(c)
	c.srv.pubsub.unsubscribeAll(c)
}

// isResp3 reports the connection's protocol from any goroutine.
func (c *conn) isResp3() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resp3
}

// appendPushHeader appends an aggregate header: ">n" for RESP3 pushes, "*n"
// for RESP2 pub/sub messages.
func appendPushHeader(dst []byte, resp3 bool, n int) []byte {
	if resp3 {
		dst = append(dst, '>')
	} else {
		dst = append(dst, '*')
	}
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

func appendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}
