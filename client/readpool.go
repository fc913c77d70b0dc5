package client

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

// readPool is one node's pool of connections for the remote read: GET (and
// PTTL, when the value will fill L1) written in one request and answered in
// one round trip, over plain RESP2 with internal/resp. A hit costs one allocation (the value) where
// go-redis's pipeline machinery cost eighteen. Writes, write-backs and
// GetMany keep using go-redis.
//
// At most PoolSize connections are open; a caller that finds them all busy
// waits for one (up to ReadTimeout+1s, as go-redis's PoolTimeout) or for its
// context. Timeouts match go-redis with ContextTimeoutEnabled: the write
// deadline is WriteTimeout, the read deadline ReadTimeout, each capped by
// the context's deadline.
type readPool struct {
	addr   string
	cfg    *Config
	tokens chan struct{}  // one per open-or-opening connection
	idle   chan *readConn // capacity PoolSize
	closed atomic.Bool
	// readonly makes each connection say READONLY after AUTH (reads of
	// slots the node holds as a replica, readpolicy.go).
	readonly bool
}

// readConn is one pooled connection with its reply reader and request buffer.
type readConn struct {
	conn net.Conn
	pr   progressReader // conn, with read deadlines that scale with the reply (readconn.go)
	rd   *resp.ReplyReader
	req  []byte
	// redir is the client id this connection's tracking redirects to (0:
	// tracking off), see tracking.go.
	redir int64
}

// errPoolTimeout is returned when no connection freed up in time.
var errPoolTimeout = errors.New("ringcache: connection pool timeout")

// replyError is an error reply from the node (MOVED, WRONGTYPE, ...); the
// connection stays usable.
type replyError string

func (e replyError) Error() string { return string(e) }

func newReadPool(addr string, cfg *Config) *readPool {
	return &readPool{addr: addr, cfg: cfg,
		tokens: make(chan struct{}, cfg.PoolSize), idle: make(chan *readConn, cfg.PoolSize)}
}

// get returns key's value and, when withTTL is set (an L1 fill needs it),
// its PTTL, in the same round trip; track makes it a tracked read
// (tracking.go). A connection that fails after sitting idle (the node
// closed it, or restarted) is replaced and the read, which is idempotent,
// tried once more: go-redis checked idle connections before use to the
// same effect.
func (p *readPool) get(ctx context.Context, key string, withTTL bool, track int64) (r remoteReply, err error) {
	err = p.do(ctx, func(cn *readConn) error {
		var err error
		r, err = cn.get(ctx, key, withTTL, track, p.cfg)
		return err
	})
	return r, err
}

// do runs one request on a pooled connection, retried once on a fresh
// connection when a reused one turns out closed (see get).
func (p *readPool) do(ctx context.Context, req func(cn *readConn) error) error {
	for retried := false; ; retried = true {
		cn, reused, err := p.acquire(ctx)
		if err != nil {
			return err
		}
		err = req(cn)
		if _, isReply := err.(replyError); err == nil || isReply || errors.Is(err, errNoLeases) {
			p.release(cn)
			return err
		}
		p.discard(cn)
		if retried || !reused || !isStaleConn(err) || ctx.Err() != nil {
			return err
		}
	}
}

// isStaleConn recognises the errors of a connection the peer had closed.
func isStaleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// acquire returns an idle connection (reused) or a new one.
func (p *readPool) acquire(ctx context.Context) (cn *readConn, reused bool, err error) {
	if err := p.takeToken(ctx); err != nil {
		return nil, false, err
	}
	select {
	case cn := <-p.idle:
		return cn, true, nil
	default:
	}
	cn, err = p.dial(ctx)
	if err != nil {
		<-p.tokens
		return nil, false, err
	}
	return cn, false, nil
}

func (p *readPool) takeToken(ctx context.Context) error {
	if p.closed.Load() {
		return ErrClosed
	}
	select {
	case p.tokens <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(p.cfg.ReadTimeout + time.Second)
	defer t.Stop()
	select {
	case p.tokens <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errPoolTimeout
	}
}

// release returns a healthy connection to the pool. A release that races
// with close either lands before close drains the pool or sees closed set
// and drains it itself.
func (p *readPool) release(cn *readConn) {
	p.idle <- cn // never blocks: at most PoolSize connections exist
	<-p.tokens
	if p.closed.Load() {
		p.drain()
	}
}

// discard closes a connection that failed.
func (p *readPool) discard(cn *readConn) {
	_ = cn.conn.Close()
	<-p.tokens
}

func (p *readPool) close() {
	p.closed.Store(true)
	p.drain()
}

func (p *readPool) drain() {
	for {
		select {
		case cn := <-p.idle:
			_ = cn.conn.Close()
		default:
			return
		}
	}
}
