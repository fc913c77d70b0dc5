package cacheserver

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ringcache/ringcache/internal/store"
)

// Client tracking (server-assisted client-side caching), as Redis 7 does it.
//
// Default mode: before a tracking client runs a read-only command, the keys
// it names are remembered in the tracking table (key → ids of the clients
// that read it), bounded by tracking-table-max-keys. Recording before the
// read, under the table's lock, means a concurrent write either finds the
// key in the table (and invalidates it) or happened before the read (which
// then returns the new value). A write, an expiry or an eviction of a key
// sends "invalidate [key]" to every client in its entry and forgets the
// entry. BCAST mode: a write to a key that starts with one of the client's
// prefixes (the empty prefix matches all) invalidates, with no table; the
// keys are collected per prefix and sent as one message per prefix when the
// writing command ends (tracking_bcast.go), as Redis sends them once per
// event-loop iteration. FLUSHALL/FLUSHDB empty the table (tracking or not)
// and send the null invalidation to every tracking client. Lowering
// tracking-table-max-keys evicts at once (Redis's cron does within 100 ms).
// Frames go through the outbox (tracking_push.go); with REDIRECT they go to
// the target connection (RESP3 push, or a RESP2 message on
// __redis__:invalidate if it is subscribed); while the target is gone, each
// invalidation becomes a tracking-redir-broken push instead, as in Redis.
//
// Lock order: store shard lock (OnRemove) → tracker.mu → conn.mu /
// outbox.mu. The tracker never calls into the store.

// DefaultTrackingTableMaxKeys is Redis's tracking-table-max-keys default.
const DefaultTrackingTableMaxKeys = 1000000

// tracker is the server's tracking table and registry of tracking clients.
type tracker struct {
	active  atomic.Int64 // tracking clients; 0 keeps every command at one atomic load
	maxKeys atomic.Int64 // tracking-table-max-keys, 0 = unlimited
	sent    atomic.Int64 // invalidation messages pushed (metrics)

	mu      sync.Mutex
	clients map[int64]*conn               // tracking clients by id
	keys    map[string][]int64            // default mode: key → ids that read it
	items   int64                         // sum of len(keys[k])
	bcast   map[string]map[*conn]struct{} // BCAST: prefix → clients
	pending map[string]map[string]*conn   // BCAST: prefix → keys written, not sent yet → first writer
	hasPend atomic.Bool                   // len(pending) > 0
}

// trackState is a connection's CLIENT TRACKING state. Its fields change on
// the connection's goroutine under tracker.mu and are read by others under
// tracker.mu, except caching, which only the connection's goroutine uses.
type trackState struct {
	on, bcast, optin, optout, noloop bool
	broken                           bool  // the redirect target was found gone
	caching                          bool  // CLIENT CACHING given for the next command
	redirect                         int64 // 0: none
	target                           *conn
	prefixes                         []string
}

func newTracker() *tracker {
	t := &tracker{clients: map[int64]*conn{}, keys: map[string][]int64{},
		bcast: map[string]map[*conn]struct{}{}, pending: map[string]map[string]*conn{}}
	t.maxKeys.Store(DefaultTrackingTableMaxKeys)
	return t
}

// onRemoveHook returns the store's OnRemove callback: keys the store expires
// or evicts invalidate their trackers at once (BCAST included); next, if
// not nil, is called too.
func (t *tracker) onRemoveHook(next func([]byte, store.RemoveReason)) func([]byte, store.RemoveReason) {
	return func(key []byte, why store.RemoveReason) {
		if t.active.Load() > 0 {
			t.invalidate(nil, [][]byte{key})
		}
		if next != nil {
			next(key, why)
		}
	}
}

// trackOpts are CLIENT TRACKING ON's parsed options.
type trackOpts struct {
	bcast, optin, optout, noloop bool
	redirect                     int64
	target                       *conn
	prefixes                     []string
}

// enable turns tracking on for c (or changes its options), as Redis's
// enableTracking: prefixes add to the ones already registered.
func (t *tracker) enable(c *conn, o trackOpts) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &c.push.trk
	if !s.on {
		t.active.Add(1)
		t.clients[c.id] = c
	}
	s.on, s.broken = true, false
	s.redirect, s.target = o.redirect, o.target
	s.optin, s.optout, s.noloop = o.optin, o.optout, o.noloop
	if o.bcast {
		s.bcast = true
		if len(o.prefixes) == 0 {
			o.prefixes = []string{""}
		}
		for _, p := range o.prefixes {
			t.addPrefix(c, p)
		}
	}
}

func (t *tracker) addPrefix(c *conn, p string) {
	set := t.bcast[p]
	if set == nil {
		set = map[*conn]struct{}{}
		t.bcast[p] = set
	}
	if _, ok := set[c]; !ok {
		set[c] = struct{}{}
		c.push.trk.prefixes = append(c.push.trk.prefixes, p)
	}
}

// disable turns tracking off for c. Its keys stay in the table and are
// skipped when invalidated, as in Redis.
func (t *tracker) disable(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &c.push.trk
	if !s.on {
		return
	}
	for _, p := range s.prefixes {
		delete(t.bcast[p], c)
		if len(t.bcast[p]) == 0 {
			delete(t.bcast, p)
		}
	}
	delete(t.clients, c.id)
	t.active.Add(-1)
	*s = trackState{}
}

// remember records that c read keys (default mode), then evicts keys while
// the table is over tracking-table-max-keys.
func (t *tracker) remember(c *conn, keys [][]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		ids := t.keys[string(k)]
		if !containsID(ids, c.id) {
			t.keys[string(k)] = append(ids, c.id)
			t.items++
		}
	}
	t.evictOver(keys)
}

// setMaxKeys is CONFIG SET tracking-table-max-keys: a lower limit evicts
// (and invalidates) the keys over it at once.
func (t *tracker) setMaxKeys(n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.maxKeys.Store(n)
	t.evictOver(nil)
}

// evictOver forgets random-ish keys of the table (as Redis picks them),
// in one pass over it, until it is within tracking-table-max-keys,
// preferring keys not in keep (the keys just read), and invalidates them
// (caller holds t.mu).
func (t *tracker) evictOver(keep [][]byte) {
	max := t.maxKeys.Load()
	over := int64(len(t.keys)) - max
	if max <= 0 || over <= 0 {
		return
	}
	var victims []string
	for k := range t.keys {
		if int64(len(victims)) == over {
			break
		}
		if !containsKey(keep, k) {
			victims = append(victims, k)
		}
	}
	for i := 0; int64(len(victims)) < over && i < len(keep); i++ {
		if _, ok := t.keys[string(keep[i])]; ok && !slices.Contains(victims, string(keep[i])) {
			victims = append(victims, string(keep[i]))
		}
	}
	for _, k := range victims {
		t.invalidateKey(nil, []byte(k), false)
	}
}

func containsKey(keys [][]byte, k string) bool {
	for _, x := range keys {
		if string(x) == k {
			return true
		}
	}
	return false
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// invalidate sends the invalidations for keys written by writer (nil for
// expiry and eviction, whose BCAST messages go out at once; a writer's go
// out when its command ends, see flushBcast).
func (t *tracker) invalidate(writer *conn, keys [][]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		t.invalidateKey(writer, k, true)
	}
	if writer == nil {
		t.flushBcastLocked()
	}
}

// invalidateKey notifies the default-mode readers of key and, when bcast,
// the BCAST clients with a matching prefix (caller holds t.mu).
func (t *tracker) invalidateKey(writer *conn, key []byte, bcast bool) {
	if ids, ok := t.keys[string(key)]; ok {
		delete(t.keys, string(key))
		t.items -= int64(len(ids))
		for _, id := range ids {
			tc := t.clients[id]
			if tc == nil || tc.push.trk.bcast || tc.push.trk.noloop && tc == writer {
				continue
			}
			t.send(tc, [][]byte{key}, false)
		}
	}
	if bcast {
		t.queueBcast(writer, key)
	}
}

// flushAll sends the null invalidation to every tracking client and empties
// the table (FLUSHALL, FLUSHDB), whether anyone tracks or not.
func (t *tracker) flushAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushBcastLocked()
	for _, tc := range t.clients {
		t.send(tc, nil, true)
	}
	t.keys = map[string][]int64{}
	t.items = 0
}

// send delivers one invalidation for keys (null: the flush message) on
// behalf of tracking client tc (caller holds t.mu).
func (t *tracker) send(tc *conn, keys [][]byte, null bool) {
	s := &tc.push.trk
	target := tc
	if s.redirect != 0 {
		target = s.target
		if target.pushClosed() { // Redis reports it at every invalidation
			s.broken = true
			if tc.isResp3() {
				tc.pushFrame(appendRedirBroken(nil, s.redirect))
			}
			return
		}
	}
	resp3 := target.isResp3()
	if !resp3 && (s.redirect == 0 || target.push.subCount.Load() == 0) {
		return // RESP2 without a subscribed redirect target: no way to push
	}
	if keys = readableKeys(tc, target, keys); len(keys) == 0 && !null {
		return // acl_check.go: never name a key the user may not read
	}
	t.sent.Add(1)
	target.pushFrame(appendInvalidate(nil, resp3, keys, null))
}

// trackingChannel is the channel RESP2 redirect targets subscribe to.
const trackingChannel = "__redis__:invalidate"

// appendInvalidate encodes ">2 invalidate [keys]" (RESP3) or "*3 message
// __redis__:invalidate [keys]" (RESP2); null sends a null instead of the
// array, as FLUSHALL does.
func appendInvalidate(dst []byte, resp3 bool, keys [][]byte, null bool) []byte {
	if resp3 {
		dst = appendPushHeader(dst, true, 2)
		dst = append(dst, "$10\r\ninvalidate\r\n"...)
	} else {
		dst = appendPushHeader(dst, false, 3)
		dst = append(dst, "$7\r\nmessage\r\n$20\r\n"+trackingChannel+"\r\n"...)
	}
	switch {
	case null && resp3:
		return append(dst, "_\r\n"...)
	case null:
		return append(dst, "$-1\r\n"...)
	}
	dst = appendPushHeader(dst, false, len(keys))
	for _, k := range keys {
		dst = appendBulk(dst, k)
	}
	return dst
}

// appendRedirBroken encodes ">2 tracking-redir-broken <id>".
func appendRedirBroken(dst []byte, id int64) []byte {
	dst = appendPushHeader(dst, true, 2)
	dst = append(dst, "$21\r\ntracking-redir-broken\r\n:"...)
	dst = strconv.AppendInt(dst, id, 10)
	return append(dst, '\r', '\n')
}

// trackingStats returns the INFO figures: tracking clients, keys in the
// table, (key, client) items, BCAST prefixes.
func (t *tracker) trackingStats() (clients, keys, items, prefixes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.active.Load(), int64(len(t.keys)), t.items, int64(len(t.bcast))
}

// trackCall runs a command while some client tracks: a tracking client's
// read records its keys first; a write invalidates its keys after the
// handler, before the reply is flushed.
func (c *conn) trackCall(cmd *command, args [][]byte) {
	if cmd.readonly && c.push.trk.wantsKeys() {
		c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
		if len(c.keyBuf) > 0 {
			c.srv.track.remember(c, c.keyBuf)
		}
		clear(c.keyBuf)
	}
	cmd.handler(c, args)
	if !cmd.write {
		return
	}
	if cmd.name == "flushall" || cmd.name == "flushdb" {
		return // cmdFlush empties the table and notifies
	}
	c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
	if len(c.keyBuf) > 0 {
		c.srv.track.invalidate(c, c.keyBuf)
	}
	clear(c.keyBuf)
}

// forwardedRead tells a tracking client at once that the keys of a read
// this node forwarded to their owner are invalid. This node never sees
// their writes and the owner does not know the client read them, so no
// later invalidation would ever come: a client that cached the reply
// (the SDK's L1, go-redis's client-side cache) would serve it stale until
// its slot table changed. The push reaches the client after it sent the
// read, so a cache that records, as Redis advises, the invalidations
// arriving while a read is in flight never serves the value; clients
// that read through the owner (the SDK once its slot table is current)
// are unaffected. BCAST clients are notified of every write on every node
// they subscribe to and need nothing.
func (c *conn) forwardedRead(cmd *command, args [][]byte) {
	if !cmd.readonly || c.srv.track.active.Load() == 0 || !c.push.trk.wantsKeys() {
		return
	}
	keys := appendKeys(nil, cmd, args)
	if len(keys) == 0 {
		return
	}
	t := c.srv.track
	t.mu.Lock()
	defer t.mu.Unlock()
	t.send(c, keys, false)
}

// wantsKeys reports whether the connection's reads are remembered now:
// default mode, and for OPTIN only after CLIENT CACHING YES, for OPTOUT
// unless CLIENT CACHING NO.
func (s *trackState) wantsKeys() bool {
	return s.on && !s.bcast && s.optin == s.caching
}

// endCommand clears CLIENT CACHING after the command it applied to: any
// command but CLIENT, and not while a MULTI is open (it covers the EXEC).
func (c *conn) endCommand(args [][]byte) {
	if c.multi == nil && !bytes.EqualFold(args[0], []byte("client")) {
		c.push.trk.caching = false
	}
}

// infoTracking writes INFO's tracking_total_* fields (# Stats).
func (s *Server) infoTracking(b *strings.Builder) {
	_, keys, items, prefixes := s.track.trackingStats()
	field(b, "tracking_total_keys", keys)
	field(b, "tracking_total_items", items)
	field(b, "tracking_total_prefixes", prefixes)
}
