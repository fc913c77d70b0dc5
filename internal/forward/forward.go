// Package forward carries commands to the node that owns their keys.
//
// A Pool keeps a few long-lived connections per peer. Callers hand it a
// command; each connection has one writer goroutine that drains every queued
// command, writes them back to back and flushes once (so concurrent callers
// share round trips, like a pipelining client), and one reader goroutine that
// reads replies in order and hands each caller the raw bytes of its reply,
// to be written back verbatim. A broken connection fails its queued and
// in-flight commands at once and is redialled on next use.
//
// Every command has a deadline fixed when it is sent (the pool's Timeout,
// or the caller's context deadline for Do). A command not answered by its
// deadline means the peer is stalled: its connection is broken at once, so
// every command on it fails together (a pipeline of N commands waits one
// Timeout, not N), and the next command dials a new one. Every connection
// (plain TCP, or TLS when configured) first runs the owner's Authenticate
// exchange (the node proves it is a peer, which also marks the connection
// so the receiving node never forwards again), then sends the configured
// handshake commands.
package forward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("forward: pool closed")

// ErrStalled breaks a connection on which a command missed its deadline.
var ErrStalled = errors.New("peer stalled: no reply before the deadline")

// Config configures a Pool.
type Config struct {
	// ConnsPerPeer is the number of connections per peer. Default 2.
	ConnsPerPeer int
	// DialTimeout bounds connecting and the handshake. Default 1s.
	DialTimeout time.Duration
	// Timeout bounds one command, counted from when it is sent, when the
	// caller's context has no deadline. Default 2s.
	Timeout time.Duration
	// QueueLen bounds the commands waiting per connection. Default 1024.
	QueueLen int
	// Authenticate, when set, runs first on every new connection: it
	// talks to the peer through ex (one command, one reply) and returns an
	// error to refuse the connection (peer authentication).
	Authenticate func(ex Exchange) error
	// TLS, when set, returns the config peers are dialled with (TLS on
	// every connection); nil: plain TCP.
	TLS func() *tls.Config
	// Handshake is sent on every new connection, after Authenticate; an
	// error reply fails it.
	Handshake [][]string
	// Reader bounds the replies read from peers.
	Reader resp.ReaderConfig
}

// Exchange sends one command on a connection being set up and returns its
// reply (an error reply is a Value, not an error).
type Exchange func(args ...string) (resp.Value, error)

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{ConnsPerPeer: 2, DialTimeout: time.Second, Timeout: 2 * time.Second,
		QueueLen: 1024, Reader: resp.DefaultReaderConfig()}
}

// Pool forwards commands to peers. It is safe for concurrent use.
type Pool struct {
	cfg    Config
	mu     sync.Mutex
	peers  map[string]*peer
	closed bool
	wg     sync.WaitGroup
	stats  counters
}

type peer struct {
	mu    sync.Mutex // guards conns; held while dialling this peer only
	conns []*conn
	next  atomic.Uint32
}

// New returns a Pool; connections are made on first use.
func New(cfg Config) (*Pool, error) {
	if cfg.ConnsPerPeer < 1 || cfg.DialTimeout <= 0 || cfg.Timeout <= 0 || cfg.QueueLen < 1 {
		return nil, errors.New("forward: ConnsPerPeer, DialTimeout, Timeout and QueueLen must be positive")
	}
	return &Pool{cfg: cfg, peers: map[string]*peer{}}, nil
}

// Do sends args to addr and appends the raw reply to dst, waiting until
// ctx's deadline (or the pool's Timeout when ctx has none), which is also
// the command's deadline. An error means the command may or may not have
// run on the peer.
func (p *Pool) Do(ctx context.Context, addr string, args [][]byte, dst []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.Timeout)
		defer cancel()
	}
	return p.send(ctx, addr, -1, args).wait(ctx, dst)
}

// Call is a command sent with Send whose reply has not been collected yet.
type Call struct {
	cl      *call
	c       *conn
	addr    string
	err     error
	stats   *counters
	counted bool // the outcome is in stats: a second Wait does not count it again
}

// Send queues args for addr without waiting for the reply, so a caller can
// have many commands in flight (a client's pipeline) and collect the
// replies in order with Wait. Commands sent with the same hint to the same
// peer travel on the same connection, so they run on the peer in the order
// they were sent. The command's deadline is the pool's Timeout from now;
// Send never blocks past it.
func (p *Pool) Send(addr string, hint uint64, args [][]byte) *Call {
	return p.send(context.Background(), addr, int(hint%uint64(p.cfg.ConnsPerPeer)), args)
}

// send queues args on connection idx of addr (idx < 0: the next in turn).
// The command's deadline is ctx's, or the pool's Timeout from now; a full
// queue is waited for until then.
func (p *Pool) send(ctx context.Context, addr string, idx int, args [][]byte) *Call {
	return p.sendRaw(ctx, addr, idx, resp.AppendCommand(nil, args...))
}

// Resend sends k's command again, to addr (its owner may have changed),
// like Send with hint: for a command whose reply said it did not run
// (TRYAGAIN). k must have been sent (a Call whose Send failed is returned
// as it is).
func (p *Pool) Resend(addr string, hint uint64, k *Call) *Call {
	if k.cl == nil {
		return k
	}
	return p.sendRaw(context.Background(), addr, int(hint%uint64(p.cfg.ConnsPerPeer)), k.cl.cmd)
}

// sendRaw is send with the command already encoded.
func (p *Pool) sendRaw(ctx context.Context, addr string, idx int, cmd []byte) *Call {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(p.cfg.Timeout)
	}
	c, err := p.conn(addr, idx)
	if err != nil {
		return &Call{err: err, addr: addr, stats: &p.stats}
	}
	cl := &call{cmd: cmd, done: make(chan struct{}), deadline: deadline}
	select {
	case c.queue <- cl:
	default:
		ctx, cancel := context.WithDeadline(ctx, deadline)
		err = c.enqueue(ctx, cl)
		cancel()
		if err != nil {
			return &Call{err: err, addr: addr, stats: &p.stats}
		}
	}
	return &Call{cl: cl, c: c, addr: addr, stats: &p.stats}
}

// Wait appends the call's raw reply to dst. It waits at most until the
// call's deadline, fixed by Send. It may be called again (by one goroutine
// at a time): it returns the same outcome, counted once in the pool's
// stats.
func (k *Call) Wait(dst []byte) ([]byte, error) {
	if k.err != nil { // never sent: no call, no deadline
		k.count(k.err)
		return dst, k.err
	}
	select {
	case <-k.cl.done: // answered already: no timer needed
		k.count(k.cl.err)
		return append(dst, k.cl.reply...), k.cl.err
	default:
	}
	ctx, cancel := context.WithDeadline(context.Background(), k.cl.deadline)
	defer cancel()
	return k.wait(ctx, dst)
}

// wait is waitReply, counted in the pool's stats.
func (k *Call) wait(ctx context.Context, dst []byte) ([]byte, error) {
	out, err := k.waitReply(ctx, dst)
	k.count(err)
	return out, err
}

// count records the call's outcome in the pool's stats, once.
func (k *Call) count(err error) {
	if !k.counted {
		k.counted = true
		k.stats.count(err)
	}
}

// waitReply appends the reply to dst once it arrives, the connection breaks
// or ctx ends. A call past its deadline breaks its connection (the reader
// normally does that first, see readLoop).
func (k *Call) waitReply(ctx context.Context, dst []byte) ([]byte, error) {
	if k.err != nil {
		return dst, k.err
	}
	select {
	case <-k.cl.done:
		return append(dst, k.cl.reply...), k.cl.err
	case <-k.c.stop:
		select {
		case <-k.cl.done: // answered just before the connection broke
			return append(dst, k.cl.reply...), k.cl.err
		default:
			return dst, k.c.failure()
		}
	case <-ctx.Done():
		if !time.Now().Before(k.cl.deadline) {
			k.c.fail(ErrStalled)
		}
		return dst, fmt.Errorf("forward to %s: %w", k.addr, ctx.Err())
	}
}

// conn returns a live connection to addr, dialling if needed: connection
// idx, or the next in turn when idx < 0. Dialling holds only that peer's
// lock, so a dead peer never delays the others.
func (p *Pool) conn(addr string, idx int) (*conn, error) {
	pe, err := p.peer(addr)
	if err != nil {
		return nil, err
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	i := idx
	if i < 0 {
		i = int(pe.next.Add(1)) % len(pe.conns)
	}
	if c := pe.conns[i]; c != nil && !c.broken() {
		return c, nil
	}
	c, err := p.dial(addr)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	closed := p.closed || p.peers[addr] != pe
	p.mu.Unlock()
	if closed { // Close or Forget ran while we dialled
		c.fail(ErrClosed)
		return nil, ErrClosed
	}
	pe.conns[i] = c
	return c, nil
}

func (p *Pool) peer(addr string) (*peer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	pe := p.peers[addr]
	if pe == nil {
		pe = &peer{conns: make([]*conn, p.cfg.ConnsPerPeer)}
		p.peers[addr] = pe
	}
	return pe, nil
}

// failAll fails and closes every connection of pe.
func (pe *peer) failAll() {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	for _, c := range pe.conns {
		if c != nil {
			c.fail(ErrClosed)
		}
	}
}

// Forget closes the connections to addr (a peer that left the ring).
func (p *Pool) Forget(addr string) {
	p.mu.Lock()
	pe := p.peers[addr]
	delete(p.peers, addr)
	p.mu.Unlock()
	if pe != nil {
		pe.failAll()
	}
}

// Close fails every pending command, closes every connection and joins
// every goroutine. Safe to call twice.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	peers := p.peers
	p.peers = map[string]*peer{}
	p.mu.Unlock()
	for _, pe := range peers {
		pe.failAll()
	}
	p.wg.Wait()
	return nil
}
