package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"

	"github.com/ringcache/ringcache/internal/resp"
)

// Origin loads through leases (ringcache's LEASEGET/LEASESET, see
// docs/client.md): inside the key's flight, LEASEGET either returns the
// value (another process filled it), hands this process the key's one lease
// (load, then LEASESET, which the node refuses if the key was written or
// deleted since: the stale write-back), or says another process holds it
// (WAIT: poll until the value appears or the lease is ours). So one origin
// load per key runs cluster-wide, and a load that raced with an update and
// Invalidate never leaves its old value in the cluster or in L1. A node
// without leases (redis-server) answers "unknown command": the client then
// uses the plain path (GET, origin, SET NX) for that node.

// leaseKind is the answer to LEASEGET.
type leaseKind uint8

const (
	leaseValue leaseKind = iota // the key exists
	leaseOurs                   // we hold the lease: load and LEASESET
	leaseWait                   // another caller holds it
	leaseNone                   // the node's table is full: load, no write-back
)

type leaseReply struct {
	kind  leaseKind
	value []byte
	pttl  int64
	token int64
	wait  time.Duration
	// tracked: the LEASEGET was a tracked read (opt-in tracking), so the
	// key is tracked whatever the answer.
	tracked bool
}

// errNoLeases marks a node that does not know LEASEGET.
var errNoLeases = errors.New("ringcache: node has no leases")

// leaseGet sends LEASEGET key ms and parses the reply.
func (cn *readConn) leaseGet(ctx context.Context, key string, lease time.Duration, early bool, track int64, cfg *Config) (leaseReply, error) {
	ms := strconv.FormatInt(lease.Milliseconds(), 10)
	var repoint bool
	cn.req, repoint = cn.appendTracking(cn.req[:0], track)
	if early {
		cn.req = resp.AppendCommandStrings(cn.req, "LEASEGET", key, ms, "EARLY")
	} else {
		cn.req = resp.AppendCommandStrings(cn.req, "LEASEGET", key, ms)
	}
	if err := cn.send(ctx, cfg); err != nil {
		return leaseReply{}, err
	}
	if err := cn.armRead(ctx, cfg.ReadTimeout); err != nil {
		return leaseReply{}, err
	}
	tracked, err := cn.readTracking(track, repoint)
	if err != nil {
		return leaseReply{}, err
	}
	v, err := cn.rd.Read()
	if err != nil {
		return leaseReply{}, err
	}
	rep, err := parseLeaseReply(v)
	rep.tracked = tracked
	return rep, err
}

func parseLeaseReply(v resp.Value) (leaseReply, error) {
	if v.IsError() {
		if strings.HasPrefix(string(v.Str), "ERR unknown command") {
			return leaseReply{}, errNoLeases
		}
		return leaseReply{}, replyError(v.Str)
	}
	bad := fmt.Errorf("ringcache: unexpected LEASEGET reply %c", v.Type)
	if v.Type != '*' || len(v.Elems) == 0 {
		return leaseReply{}, bad
	}
	e := v.Elems
	switch {
	case string(e[0].Str) == "VALUE" && len(e) == 3:
		return leaseReply{kind: leaseValue, value: e[1].Str, pttl: e[2].Int}, nil
	case string(e[0].Str) == "VALUE" && len(e) == 4: // EARLY: a refresh lease, 0 if taken
		return leaseReply{kind: leaseValue, value: e[1].Str, pttl: e[2].Int, token: e[3].Int}, nil
	case string(e[0].Str) == "LEASE" && len(e) == 2:
		return leaseReply{kind: leaseOurs, token: e[1].Int}, nil
	case string(e[0].Str) == "WAIT" && len(e) == 2:
		return leaseReply{kind: leaseWait, wait: time.Duration(e[1].Int) * time.Millisecond}, nil
	case string(e[0].Str) == "NOLEASE":
		return leaseReply{kind: leaseNone}, nil
	}
	return leaseReply{}, bad
}

// leaseGet asks n for key's value or lease through n's breaker (early: a
// refresh lease on a key that exists, see refresh.go). A node that does
// not know LEASEGET is remembered as such.
func (c *Client) leaseGet(ctx context.Context, n *node, key string, early bool, track int64) (leaseReply, error) {
	var rep leaseReply
	_, err := n.br.Execute(func() (any, error) {
		var err error
		err = n.reads.do(ctx, func(cn *readConn) error {
			rep, err = cn.leaseGet(ctx, key, c.cfg.LeaseTTL, early, track, n.reads.cfg)
			return err
		})
		if errors.Is(err, errNoLeases) {
			n.noLeases.Store(true)
			return nil, nil // an old node, not a failing one
		}
		return nil, callerErr(ctx, err)
	})
	if err == nil && n.noLeases.Load() {
		err = errNoLeases
	}
	return rep, err
}

// fillLeased is fill's lease path: value, our lease, or wait for the
// holder. A node error loads from the origin without writing back.
func (c *Client) fillLeased(ctx context.Context, r *loadReq) (Result, error) {
	backoff := time.Millisecond
	for {
		rep, err := c.leaseGet(ctx, r.n, r.key, false, c.trackID(r.n, r.useL1))
		r.tracked = rep.tracked
		switch {
		case errors.Is(err, errNoLeases):
			return c.fillPlain(ctx, r)
		case err != nil:
			c.nodeFailed(err)
			r.back, r.nodeErr = backNone, fmt.Errorf("%w: %s: %w", ErrNodeUnavailable, r.n.addr, err)
			return c.load(ctx, r)
		case rep.kind == leaseValue && isNegative(rep.value):
			return c.remoteNegative(r.n, r.key, r.tok, r.useL1, rep.tracked, time.Duration(max(rep.pttl, 0))*time.Millisecond)
		case rep.kind == leaseValue:
			c.stats.tier[TierRemote].hit.Add(1)
			if r.useL1 && c.mayInstall(r.n, rep.tracked) {
				c.l1.install(r.key, r.tok, rep.value, false, time.Duration(max(rep.pttl, 0))*time.Millisecond)
			}
			return Result{Value: rep.value, Tier: TierRemote}, nil
		case rep.kind == leaseOurs:
			c.stats.tier[TierRemote].miss.Add(1)
			r.back, r.lease = backLease, rep.token
			return c.load(ctx, r)
		case rep.kind == leaseNone:
			c.stats.tier[TierRemote].miss.Add(1)
			r.back = backNone
			return c.load(ctx, r)
		}
		c.stats.leaseWaits.Add(1)
		if r.useL1 {
			if e, ok := c.l1.stale(r.key, c.cfg.StaleIfError); ok {
				c.stats.staleServed.Add(1)
				return Result{Value: e.value, Tier: TierL1, Stale: true}, nil
			}
		}
		if err := ctxsleep.Sleep(ctx, min(backoff, rep.wait)); err != nil {
			return Result{}, fmt.Errorf("%w: waiting for another loader: %w", ErrOriginUnavailable, err)
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// leaseSet writes an origin value back with the lease token; false means
// the node refused it (the key was written or deleted during the load, or
// the lease expired) or failed.
func (c *Client) leaseSet(ctx context.Context, n *node, key string, tok int64, val []byte, ttl time.Duration) bool {
	args := []any{"LEASESET", key, tok, val}
	if ttl > 0 {
		args = append(args, "PX", max(ttl.Milliseconds(), 1))
	}
	ok := c.sendBack(n, func() error { return n.rdb.Do(ctx, args...).Err() })
	if !ok {
		c.stats.leaseRefused.Add(1)
	}
	return ok
}

// leaseRelease gives the lease back after a failed or empty load, so the
// waiters need not wait for it to expire.
func (c *Client) leaseRelease(ctx context.Context, n *node, key string, tok int64) {
	_, _ = n.br.Execute(func() (any, error) {
		return nil, n.rdb.Do(ctx, "LEASEDEL", key, tok).Err()
	})
}
