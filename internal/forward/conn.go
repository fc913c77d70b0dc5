package forward

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

type call struct {
	cmd      []byte
	reply    []byte
	err      error
	done     chan struct{}
	deadline time.Time // fixed at send; missing it breaks the connection
}

// conn is one pipelined connection: callers enqueue, the writer batches,
// the reader answers in order.
type conn struct {
	addr     string
	nc       net.Conn
	queue    chan *call
	inflight chan *call
	stop     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	err      error
	open     *atomic.Int64 // the pool's open-connections gauge
}

func (p *Pool) dial(addr string) (*conn, error) {
	c, err := p.dialConn(addr)
	p.stats.dialed(err)
	return c, err
}

func (p *Pool) dialConn(addr string) (*conn, error) {
	nc, err := p.dialNet(addr)
	if err != nil {
		return nil, fmt.Errorf("forward: dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	rr := resp.NewReplyReader(nc, p.cfg.Reader)
	if err := p.handshake(nc, rr); err != nil {
		nc.Close()
		return nil, fmt.Errorf("forward: handshake with %s: %w", addr, err)
	}
	c := &conn{addr: addr, nc: nc, queue: make(chan *call, p.cfg.QueueLen),
		inflight: make(chan *call, p.cfg.QueueLen), stop: make(chan struct{}), open: &p.stats.conns}
	p.wg.Add(2)
	go func() { defer p.wg.Done(); c.writeLoop() }()
	go func() { defer p.wg.Done(); c.readLoop(rr) }()
	return c, nil
}

// dialNet connects to addr over TCP, or TLS when configured (the TLS
// handshake is bounded by DialTimeout too).
func (p *Pool) dialNet(addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: p.cfg.DialTimeout}
	if p.cfg.TLS == nil {
		return d.Dial("tcp", addr)
	}
	return tls.DialWithDialer(d, "tcp", addr, p.cfg.TLS())
}

func (p *Pool) handshake(nc net.Conn, rr *resp.ReplyReader) error {
	_ = nc.SetDeadline(time.Now().Add(p.cfg.DialTimeout))
	defer nc.SetDeadline(time.Time{})
	ex := func(args ...string) (resp.Value, error) {
		if _, err := nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
			return resp.Value{}, err
		}
		return rr.Read()
	}
	if p.cfg.Authenticate != nil {
		if err := p.cfg.Authenticate(ex); err != nil {
			return err
		}
	}
	for _, cmd := range p.cfg.Handshake {
		v, err := ex(cmd...)
		if err != nil {
			return err
		}
		if v.IsError() {
			return fmt.Errorf("%s: %s", cmd[0], v.Str)
		}
	}
	return nil
}

func (c *conn) enqueue(ctx context.Context, cl *call) error {
	select {
	case c.queue <- cl:
		return nil
	case <-c.stop:
		return c.failure()
	case <-ctx.Done():
		return fmt.Errorf("forward to %s: queue full: %w", c.addr, ctx.Err())
	}
}

// writeLoop writes every queued command, flushing once per batch. A call is
// registered in flight before its bytes are written, so replies always find
// their caller in order.
func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 32<<10)
	yielded := false
	for {
		var cl *call
		select {
		case cl = <-c.queue:
		case <-c.stop:
			return
		}
		for cl != nil {
			select {
			case c.inflight <- cl:
			case <-c.stop:
				finish(cl, c.failure())
				return
			}
			if _, err := bw.Write(cl.cmd); err != nil {
				c.fail(err)
				return
			}
			cl = nil
			select {
			case cl = <-c.queue:
			default:
				if !yielded {
					// Let the callers that are runnable right now queue
					// their commands, so one write carries them all.
					runtime.Gosched()
					yielded = true
					select {
					case cl = <-c.queue:
					default:
					}
				}
			}
		}
		yielded = false
		if err := bw.Flush(); err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *conn) readLoop(rr *resp.ReplyReader) {
	for {
		var cl *call
		select {
		case cl = <-c.inflight:
		case <-c.stop:
			c.drain()
			return
		}
		// The oldest call's deadline bounds the wait for its reply: a
		// stalled peer fails every call on the connection at once.
		_ = c.nc.SetReadDeadline(cl.deadline)
		reply, err := rr.ReadRaw(cl.reply)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = ErrStalled
		}
		if err != nil {
			// Broken first, then the caller woken: a caller that retries
			// at once must find the connection gone and redial.
			c.fail(err)
			finish(cl, fmt.Errorf("forward: read from %s: %w", c.addr, err))
			c.drain()
			return
		}
		cl.reply = reply
		finish(cl, nil)
	}
}

// drain fails whatever is still queued or in flight.
func (c *conn) drain() {
	err := c.failure()
	for {
		select {
		case cl := <-c.inflight:
			finish(cl, err)
		case cl := <-c.queue:
			finish(cl, err)
		default:
			return
		}
	}
}

func finish(cl *call, err error) {
	cl.err = err
	close(cl.done)
}

func (c *conn) fail(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = fmt.Errorf("forward: connection to %s: %w", c.addr, err)
		c.mu.Unlock()
		close(c.stop)
		c.nc.Close()
		c.open.Add(-1)
	})
}

func (c *conn) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *conn) broken() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}
