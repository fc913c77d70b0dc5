package client

import (
	"strconv"

	"github.com/ringcache/ringcache/internal/resp"
)

// Opt-in tracking (L1Config.Tracking = TrackingOptIn). The node tracks a key
// for this client only when one of the client's read connections reads it
// right after CLIENT CACHING YES; the read connections run CLIENT TRACKING
// ON REDIRECT <id> OPTIN, id being the node's invalidation connection, so
// the pushes arrive where broadcast ones do and the same lease (PING) and
// token rules apply. A value enters L1 only from such a tracked read (GET,
// or LEASEGET returning the value): the node then invalidates the key for
// us on the next write, whoever makes it. In particular an origin value
// this client wrote back (LEASESET, SET NX) is not put into L1 directly:
// the write removed the key from the node's tracking table, so nothing
// would tell us of the writes after it; the next Get reads it back, tracked.
//
// NOLOOP is not used, on purpose: a node drops a key's tracking entry on
// every write, NOLOOP only suppresses the push to the writer, so an L1 entry
// kept through our own write would miss every later invalidation.
//
// When the invalidation connection reconnects it has a new id; each read
// connection re-points its redirect in the request of its next tracked
// read. A read whose redirect or CACHING was refused is not tracked and its
// value does not enter L1.

// optIn reports whether the client uses opt-in tracking.
func (c *Client) optIn() bool { return c.l1 != nil && c.cfg.L1.trackingMode() == TrackingOptIn }

// trackID is the id reads of n's keys redirect their tracking to, or 0 when
// the read must not be tracked (broadcast mode, or no live invalidation
// connection: its value will not enter L1).
func (c *Client) trackID(n *node, useL1 bool) int64 {
	if !useL1 || !c.optIn() || n == nil {
		return 0
	}
	return n.inval.trackID()
}

// mayInstall reports whether a value read from n may enter L1: in
// broadcast mode while n's invalidations flow, in opt-in mode when the read
// was tracked (and the invalidation connection is still up).
func (c *Client) mayInstall(n *node, tracked bool) bool {
	if n == nil || !n.inval.live() {
		return false
	}
	return !c.optIn() || tracked
}

// trackID is the client id of the invalidation connection while it is up.
func (iv *invalidator) trackID() int64 {
	if iv == nil || !iv.connected.Load() {
		return 0
	}
	return iv.id.Load()
}

// appendTracking starts a request whose next command is tracked, redirected
// to id: CLIENT TRACKING ON REDIRECT id OPTIN when the connection points
// elsewhere, then CLIENT CACHING YES. It returns whether TRACKING was sent.
func (cn *readConn) appendTracking(dst []byte, id int64) ([]byte, bool) {
	if id == 0 {
		return dst, false
	}
	repoint := cn.redir != id
	if repoint {
		dst = resp.AppendCommandStrings(dst, "CLIENT", "TRACKING", "ON", "REDIRECT", strconv.FormatInt(id, 10), "OPTIN")
	}
	return resp.AppendCommandStrings(dst, "CLIENT", "CACHING", "YES"), repoint
}

// readTracking reads the replies appendTracking asked for and reports
// whether the next command is tracked towards id. An error reply (the id is
// gone: the invalidation connection dropped) leaves the connection usable.
func (cn *readConn) readTracking(id int64, repoint bool) (bool, error) {
	if id == 0 {
		return false, nil
	}
	ok := true
	if repoint {
		v, err := cn.rd.Read()
		if err != nil {
			return false, err
		}
		if v.IsError() {
			cn.redir, ok = 0, false
		} else {
			cn.redir = id
		}
	}
	v, err := cn.rd.Read()
	if err != nil {
		return false, err
	}
	return ok && !v.IsError(), nil
}
