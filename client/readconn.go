package client

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

// dial opens a connection to the pool's node and authenticates it.
func (p *readPool) dial(ctx context.Context) (*readConn, error) {
	conn, err := p.cfg.dialNode(ctx, p.addr)
	if err != nil {
		return nil, err
	}
	cn := &readConn{conn: conn}
	cn.pr.conn = conn
	cn.rd = resp.NewReplyReader(&cn.pr, resp.DefaultReaderConfig())
	if p.cfg.Password != "" {
		if err := cn.simple(ctx, p.cfg, "AUTH", p.cfg.Password); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	if p.readonly {
		if err := cn.simple(ctx, p.cfg, "READONLY"); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return cn, nil
}

// simple sends a connection setup command (AUTH password, the default user
// as go-redis does; READONLY) and checks its reply is not an error.
func (cn *readConn) simple(ctx context.Context, cfg *Config, args ...string) error {
	cn.req = resp.AppendCommandStrings(cn.req[:0], args...)
	if err := cn.send(ctx, cfg); err != nil {
		return err
	}
	if err := cn.armRead(ctx, cfg.DialTimeout+cfg.ReadTimeout); err != nil {
		return err
	}
	v, err := cn.rd.Read()
	if err != nil {
		return err
	}
	if v.IsError() {
		return fmt.Errorf("%s: %w", args[0], replyError(v.Str))
	}
	return nil
}

// get writes GET key, and PTTL key when withTTL is set, in one request
// and reads the replies; a non-zero track makes the GET a tracked read
// (tracking.go), and tracked says whether it was. An error reply leaves the
// connection usable and is returned as a replyError; any other error means
// the connection must be discarded.
func (cn *readConn) get(ctx context.Context, key string, withTTL bool, track int64, cfg *Config) (r remoteReply, err error) {
	var repoint bool
	cn.req, repoint = cn.appendTracking(cn.req[:0], track)
	cn.req = resp.AppendCommandStrings(cn.req, "GET", key)
	if withTTL {
		cn.req = resp.AppendCommandStrings(cn.req, "PTTL", key)
	}
	if err := cn.send(ctx, cfg); err != nil {
		return r, err
	}
	if err := cn.armRead(ctx, cfg.ReadTimeout); err != nil {
		return r, err
	}
	tracked, err := cn.readTracking(track, repoint)
	if err != nil {
		return r, err
	}
	r, replyErr, err := cn.readGetReply(withTTL)
	r.tracked = tracked
	if err != nil {
		return r, err
	}
	return r, replyErr
}

// readGetReply reads a GET reply and, withTTL, its PTTL reply. replyErr is
// an error reply (the connection stays usable), err anything else.
func (cn *readConn) readGetReply(withTTL bool) (r remoteReply, replyErr, err error) {
	get, err := cn.rd.Read()
	if err != nil {
		return r, nil, err
	}
	ttl := resp.Value{Type: ':', Int: -1}
	if withTTL {
		if ttl, err = cn.rd.Read(); err != nil {
			return r, nil, err
		}
	}
	switch {
	case get.IsError():
		return r, replyError(get.Str), nil
	case ttl.IsError():
		return r, replyError(ttl.Str), nil
	case get.Type != '$' || ttl.Type != ':':
		return r, nil, fmt.Errorf("ringcache: unexpected replies to GET/PTTL: %c %c", get.Type, ttl.Type)
	case get.Null:
		return r, nil, nil
	}
	r.val, r.pttl, r.found = get.Str, ttl.Int, true
	return r, nil, nil
}

// remoteReply is a remote read's answer: the value and its PTTL in
// milliseconds (-1: no expiry, or not asked) when found, and whether the
// read was tracked (opt-in tracking).
type remoteReply struct {
	val     []byte
	pttl    int64
	found   bool
	tracked bool
}

// send writes the request under the write timeout.
func (cn *readConn) send(ctx context.Context, cfg *Config) error {
	if err := cn.conn.SetWriteDeadline(deadline(ctx, cfg.WriteTimeout)); err != nil {
		return err
	}
	_, err := cn.conn.Write(cn.req)
	return err
}

// readChunk is how many reply bytes earn another read timeout.
const readChunk = 64 << 10

// progressReader lets read timeouts scale with the reply's size: the read
// deadline, first now+ReadTimeout, is pushed to now+ReadTimeout each time
// another readChunk bytes have arrived (never past the context's
// deadline). A reply of one chunk or less costs nothing extra; a node that
// sends nothing for ReadTimeout still fails as before.
type progressReader struct {
	conn    net.Conn
	got     int
	next    int
	timeout time.Duration
	limit   time.Time // the context's deadline; zero: none
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.conn.Read(b)
	p.got += n
	if n > 0 && p.got >= p.next {
		p.next = p.got + readChunk
		d := time.Now().Add(p.timeout)
		if !p.limit.IsZero() && p.limit.Before(d) {
			d = p.limit
		}
		_ = p.conn.SetReadDeadline(d)
	}
	return n, err
}

// armRead sets the read deadline of the next reply: timeout for its first
// readChunk bytes, and as much again for each further chunk.
func (cn *readConn) armRead(ctx context.Context, timeout time.Duration) error {
	cn.pr.got, cn.pr.next, cn.pr.timeout = 0, readChunk, timeout
	cn.pr.limit, _ = ctx.Deadline()
	return cn.conn.SetReadDeadline(deadline(ctx, timeout))
}

// deadline is now+timeout, or the context's deadline if sooner.
func deadline(ctx context.Context, timeout time.Duration) time.Time {
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// getMany is get for several keys in one request: per key [CLIENT CACHING
// YES when tracked] GET and, withTTL, PTTL. A reply error for one key
// (WRONGTYPE) fails the batch as a replyError.
func (cn *readConn) getMany(ctx context.Context, keys []string, withTTL bool, track int64, cfg *Config) ([]remoteReply, error) {
	cn.req = cn.req[:0]
	repoint := false
	for i, k := range keys {
		if i == 0 {
			cn.req, repoint = cn.appendTracking(cn.req, track)
		} else if track != 0 {
			cn.req = resp.AppendCommandStrings(cn.req, "CLIENT", "CACHING", "YES")
		}
		cn.req = resp.AppendCommandStrings(cn.req, "GET", k)
		if withTTL {
			cn.req = resp.AppendCommandStrings(cn.req, "PTTL", k)
		}
	}
	if err := cn.send(ctx, cfg); err != nil {
		return nil, err
	}
	if err := cn.armRead(ctx, cfg.ReadTimeout); err != nil {
		return nil, err
	}
	out := make([]remoteReply, len(keys))
	var replyErr error
	for i := range keys {
		tracked, err := cn.readTracking(track, repoint && i == 0)
		if err != nil {
			return nil, err
		}
		r, rerr, err := cn.readGetReply(withTTL)
		if err != nil {
			return nil, err
		}
		if rerr != nil {
			replyErr = rerr
		}
		r.tracked = tracked
		out[i] = r
	}
	return out, replyErr
}
