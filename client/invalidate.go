package client

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
)

// lossTimeout declares an invalidation connection lost when nothing (not
// even a PONG) arrived for that long.
const lossTimeout = 750 * time.Millisecond

// invalidator owns one node's invalidation connection: RESP3, with CLIENT
// TRACKING ON BCAST so every key written on the node is pushed to us, or,
// with opt-in tracking, the redirect target of the read connections' tracking
// (tracking.go). It
// reconnects with backoff; while it is down, fills do not install into L1,
// and when it drops, the L1 entries of the node's slots are hidden.
type invalidator struct {
	c         *Client
	n         *node
	connected atomic.Bool
	// lease is the client clock reading at which the last answered PING
	// was sent: every invalidation the node sent before that is applied.
	lease atomic.Int64
	// downSince is when (client clock) the connection was lost, 0 while it
	// is up (L1.OutageWindow).
	downSince atomic.Int64
	// id is the connection's client id (CLIENT ID) while it is up: opt-in
	// reads redirect their tracking to it (tracking.go).
	id     atomic.Int64
	sent   chan int64 // send times of unanswered PINGs, in order
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	conn   net.Conn
}

func newInvalidator(c *Client, n *node) *invalidator {
	iv := &invalidator{c: c, n: n, sent: make(chan int64, 1024)}
	iv.ctx, iv.cancel = context.WithCancel(c.ctx)
	c.wg.Add(1)
	go iv.run()
	return iv
}

// live reports whether invalidations from the node are flowing.
func (iv *invalidator) live() bool { return iv != nil && iv.connected.Load() }

// leased reports whether every invalidation the node sent before
// now-maxStale has been applied, so L1 entries of its slots are at most
// maxStale behind it.
func (iv *invalidator) leased(now int64, maxStale time.Duration) bool {
	return iv != nil && iv.connected.Load() && now-iv.lease.Load() < int64(maxStale)
}

func (iv *invalidator) close() {
	iv.cancel()
	iv.mu.Lock()
	if iv.conn != nil {
		_ = iv.conn.Close()
	}
	iv.mu.Unlock()
}

func (iv *invalidator) run() {
	defer iv.c.wg.Done()
	backoff := 10 * time.Millisecond
	for iv.ctx.Err() == nil {
		err := iv.session()
		iv.id.Store(0)
		if iv.connected.Swap(false) {
			// Entries of the node's slots stop being served at once (the
			// lease needs the connection); they stay valid for the outage
			// window, and the re-subscription hides them.
			iv.downSince.Store(max(iv.c.clock.now(), 1))
			iv.c.stats.invalConnLost.Add(1)
			backoff = 10 * time.Millisecond
		}
		if iv.ctx.Err() != nil {
			return
		}
		// The node may have died: re-read the slot table at every failed
		// attempt, so it follows the cluster dropping the node from its
		// ring (this invalidator is closed once the table no longer lists
		// the node) instead of waiting for the periodic refresh.
		iv.c.router.refreshAsync()
		iv.c.log.Warn("invalidation connection down", "node", iv.n.addr, "err", err, "retry_in", backoff)
		select {
		case <-iv.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// session dials, subscribes, and reads pushes until the connection fails.
func (iv *invalidator) session() error {
	conn, err := iv.c.cfg.dialNode(iv.ctx, iv.n.addr)
	if err != nil {
		return err
	}
	iv.mu.Lock()
	iv.conn = conn
	iv.mu.Unlock()
	if iv.ctx.Err() != nil {
		conn.Close()
		return iv.ctx.Err()
	}
	defer conn.Close()
	br := resp.NewReplyReader(conn, resp.DefaultReaderConfig())
	id, err := iv.subscribe(conn, br)
	if err != nil {
		return err
	}
	// A fill that began while no subscription was in place may have read a
	// value whose invalidation was never sent to us; bumping the epochs of
	// this node's slots now (subscribed, not yet live) makes such fills
	// install invisible entries.
	iv.c.l1.dropSlots(iv.c.router.slotsOf(iv.n))
	iv.id.Store(id)
	iv.connected.Store(true)
	iv.downSince.Store(0)
	for len(iv.sent) > 0 { // pings of a previous connection go unanswered
		<-iv.sent
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); iv.ping(conn, stop) }()
	err = iv.readPushes(conn, br)
	close(stop)
	conn.Close()
	wg.Wait()
	return err
}

// subscribe says HELLO 3 and asks for the connection's client id; in
// broadcast mode it also turns on CLIENT TRACKING BCAST (with the prefixes),
// in opt-in mode the read connections redirect their tracking to it.
func (iv *invalidator) subscribe(conn net.Conn, br *resp.ReplyReader) (int64, error) {
	_ = conn.SetDeadline(time.Now().Add(iv.c.cfg.DialTimeout + iv.c.cfg.ReadTimeout))
	hello := []string{"HELLO", "3"}
	if iv.c.cfg.Password != "" {
		hello = append(hello, "AUTH", "default", iv.c.cfg.Password)
	}
	// Opt-in: the connection tracks nothing itself, but as a tracking
	// client it is sent the null invalidation of a FLUSHALL or of a ring
	// change (which refreshes the slot table) even before any read
	// connection tracks a key.
	track := []string{"CLIENT", "TRACKING", "ON", "OPTIN"}
	if !iv.c.optIn() {
		track = []string{"CLIENT", "TRACKING", "ON", "BCAST"}
		for _, p := range iv.c.cfg.L1.Prefixes {
			track = append(track, "PREFIX", p)
		}
	}
	cmds := [][]string{hello, {"CLIENT", "ID"}, track}
	var id int64
	for _, cmd := range cmds {
		if _, err := conn.Write(resp.AppendCommandStrings(nil, cmd...)); err != nil {
			return 0, err
		}
		v, err := br.Read()
		if err != nil || v.IsError() {
			return 0, fmt.Errorf("%s: %v %s", cmd[0], err, v.Str)
		}
		if cmd[0] == "CLIENT" && cmd[1] == "ID" {
			id = v.Int
		}
	}
	return id, conn.SetDeadline(time.Time{})
}

// ping sends a PING every MaxStaleness/4 and records when, so the reader
// can renew the lease as PONGs come back.
func (iv *invalidator) ping(conn net.Conn, stop <-chan struct{}) {
	t := time.NewTicker(max(iv.c.cfg.L1.MaxStaleness/4, time.Millisecond))
	defer t.Stop()
	ping := resp.AppendCommandStrings(nil, "PING")
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			select {
			case iv.sent <- iv.c.clock.now():
			default: // the reader is far behind; the lease lapses on its own
				continue
			}
			_ = conn.SetWriteDeadline(time.Now().Add(lossTimeout))
			if _, err := conn.Write(ping); err != nil {
				return
			}
		}
	}
}

func (iv *invalidator) readPushes(conn net.Conn, br *resp.ReplyReader) error {
	for {
		_ = conn.SetReadDeadline(time.Now().Add(lossTimeout))
		v, err := br.Read()
		if err != nil {
			return err
		}
		if v.Type == '+' { // PONG: everything sent before its PING is applied
			select {
			case t := <-iv.sent:
				iv.lease.Store(t)
			default:
			}
			continue
		}
		if v.Type != '>' || len(v.Elems) < 2 || string(v.Elems[0].Str) != "invalidate" {
			continue // another push
		}
		iv.c.stats.invalidations.Add(1)
		keys := v.Elems[1]
		if keys.Null {
			iv.c.l1.dropAll()
			// ringcache sends it when a ring change dropped slot data: a
			// node may have joined or left, and in forward mode no MOVED
			// would ever tell us.
			iv.c.router.refreshAsync()
			continue
		}
		for _, k := range keys.Elems {
			iv.c.l1.invalidate(string(k.Str))
			if h := iv.c.testHookInvalidated; h != nil {
				h(string(k.Str))
			}
		}
	}
}
