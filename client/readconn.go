package client

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

// dial opens a connection to the pool's node and authenticates it.
func (p *readPool) dial(ctx context.Context) (*readConn, error) {
	conn, err := p.cfg.dialNode(ctx, p.addr)
	if err != nil {
		return nil, err
	}
	cn := &readConn{conn: conn, rd: resp.NewReplyReader(conn, resp.DefaultReaderConfig())}
	if p.cfg.Password != "" {
		if err := cn.auth(ctx, p.cfg); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return cn, nil
}

// auth sends AUTH password (RESP2, the default user, as go-redis does).
func (cn *readConn) auth(ctx context.Context, cfg *Config) error {
	cn.req = resp.AppendCommandStrings(cn.req[:0], "AUTH", cfg.Password)
	if err := cn.send(ctx, cfg); err != nil {
		return err
	}
	if err := cn.conn.SetReadDeadline(deadline(ctx, cfg.DialTimeout+cfg.ReadTimeout)); err != nil {
		return err
	}
	v, err := cn.rd.Read()
	if err != nil {
		return err
	}
	if v.IsError() {
		return fmt.Errorf("AUTH: %w", replyError(v.Str))
	}
	return nil
}

// get writes GET key, and PTTL key when withTTL is set, in one request
// and reads the replies. An error reply leaves the connection usable and
// is returned as a replyError; any other error means the connection must
// be discarded.
func (cn *readConn) get(ctx context.Context, key string, withTTL bool, cfg *Config) (val []byte, pttl int64, found bool, err error) {
	cn.req = resp.AppendCommandStrings(cn.req[:0], "GET", key)
	if withTTL {
		cn.req = resp.AppendCommandStrings(cn.req, "PTTL", key)
	}
	if err := cn.send(ctx, cfg); err != nil {
		return nil, 0, false, err
	}
	if err := cn.conn.SetReadDeadline(deadline(ctx, cfg.ReadTimeout)); err != nil {
		return nil, 0, false, err
	}
	get, err := cn.rd.Read()
	if err != nil {
		return nil, 0, false, err
	}
	ttl := resp.Value{Type: ':', Int: -1}
	if withTTL {
		if ttl, err = cn.rd.Read(); err != nil {
			return nil, 0, false, err
		}
	}
	switch {
	case get.IsError():
		return nil, 0, false, replyError(get.Str)
	case ttl.IsError():
		return nil, 0, false, replyError(ttl.Str)
	case get.Type != '$' || ttl.Type != ':':
		return nil, 0, false, fmt.Errorf("ringcache: unexpected replies to GET/PTTL: %c %c", get.Type, ttl.Type)
	case get.Null:
		return nil, 0, false, nil
	}
	return get.Str, ttl.Int, true, nil
}

// send writes the request under the write timeout.
func (cn *readConn) send(ctx context.Context, cfg *Config) error {
	if err := cn.conn.SetWriteDeadline(deadline(ctx, cfg.WriteTimeout)); err != nil {
		return err
	}
	_, err := cn.conn.Write(cn.req)
	return err
}

// deadline is now+timeout, or the context's deadline if sooner.
func deadline(ctx context.Context, timeout time.Duration) time.Time {
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}
