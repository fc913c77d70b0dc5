package cacheserver

import (
	"strings"
	"sync"

	"github.com/ringcache/ringcache/internal/store"
)

// Pub/Sub as Redis 7.0: channels (SUBSCRIBE, PUBLISH), glob patterns
// (PSUBSCRIBE, matched as KEYS matches keys) and shard channels
// (SSUBSCRIBE, SPUBLISH). Messages are push frames delivered through the
// subscriber's outbox (tracking_push.go), so a publisher never blocks on a
// slow subscriber (one that does not read is closed at OutputBufferLimit).
// A RESP2 connection with any subscription may only run (P|S)SUBSCRIBE,
// (P|S)UNSUBSCRIBE, PING, QUIT and RESET; RESP3 connections run anything.
//
// PUBLISH delivers to the channel's subscribers, then to every (client,
// matching pattern) pair, and answers how many messages this node
// delivered. In a cluster it is also passed to every other member over the
// peer connections (pubsub_cluster.go), so it reaches subscribers on every
// node, as in Redis Cluster. Shard channels have the slot of their name:
// SSUBSCRIBE runs on the slot's owner (-MOVED elsewhere, in both routing
// modes) and SPUBLISH is routed like a command with a key.
//
// Channel permissions (ACL &pattern) are checked before the handlers run,
// from the command table's channel declarations (withChans, acl_table.go). Keyspace notifications (notify.go)
// publish through Server.publish.

// subKind is the kind of a subscription.
type subKind uint8

const (
	subChannel subKind = iota // SUBSCRIBE
	subPattern                // PSUBSCRIBE
	subShard                  // SSUBSCRIBE
	numSubKinds
)

// subVerbs are the confirmation names per kind: subscribe, unsubscribe.
var subVerbs = [numSubKinds][2]string{
	{"subscribe", "unsubscribe"}, {"psubscribe", "punsubscribe"}, {"ssubscribe", "sunsubscribe"},
}

// pubsubRegistry maps channels, patterns and shard channels to their
// subscribers. A connection's own view (connPush.subs) is changed only
// under mu.
type pubsubRegistry struct {
	mu     sync.Mutex
	tables [numSubKinds]map[string]map[*conn]struct{}
}

func pubsubCommands() []*command {
	ps := func(name string, arity int, since, summary string, h func(*conn, [][]byte)) *command {
		return &command{name: name, arity: arity, flags: []string{"pubsub", "noscript", "loading", "stale"},
			acl: []string{"@pubsub", "@slow"}, group: "pubsub", since: since, summary: summary, handler: h}
	}
	shard := func(cmd *command) *command {
		cmd.firstKey, cmd.lastKey, cmd.step, cmd.movedOnly = 1, -1, 1, true
		return cmd
	}
	spublish := ps("spublish", 3, "7.0.0", "Post a message to a shard channel", spublishCmd)
	spublish.firstKey, spublish.lastKey, spublish.step = 1, 1, 1
	spublish.flags = append(spublish.flags, "fast")
	return []*command{
		withChans(chanAll, ps("subscribe", -2, "2.0.0", "Listens for messages published to channels.", subscriber(subChannel))),
		ps("unsubscribe", -1, "2.0.0", "Stops listening to messages posted to channels.", unsubscriber(subChannel)),
		withChans(chanPatterns, ps("psubscribe", -2, "2.0.0",
			"Listens for messages published to channels that match one or more patterns.", subscriber(subPattern))),
		ps("punsubscribe", -1, "2.0.0", "Stops listening to messages published to channels that match one or more patterns.",
			unsubscriber(subPattern)),
		withChans(chanAll, shard(ps("ssubscribe", -2, "7.0.0", "Listens for messages published to shard channels.",
			subscriber(subShard)))),
		shard(ps("sunsubscribe", -1, "7.0.0", "Stops listening to messages posted to shard channels.",
			unsubscriber(subShard))),
		withChans(chanFirst, ps("publish", 3, "2.0.0", "Posts a message to a channel.", publishCmd)),
		withChans(chanFirst, spublish),
		ps("pubsub", -2, "2.8.0", "A container for Pub/Sub commands.", pubsubCmd),
	}
}

// subscriber returns the handler of SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE.
func subscriber(kind subKind) func(*conn, [][]byte) {
	return func(c *conn, args [][]byte) {
		c.activatePush()
		for _, ch := range args[1:] {
			n := c.srv.pubsub.subscribe(c, kind, string(ch))
			c.writeSubReply(subVerbs[kind][0], ch, n)
		}
	}
}

// unsubscriber returns the handler of UNSUBSCRIBE, PUNSUBSCRIBE or
// SUNSUBSCRIBE. Without names it leaves every subscription of its kind,
// answering one reply per name (one with a null name when there were none).
func unsubscriber(kind subKind) func(*conn, [][]byte) {
	return func(c *conn, args [][]byte) {
		verb := subVerbs[kind][1]
		if len(args) > 1 {
			for _, ch := range args[1:] {
				c.writeSubReply(verb, ch, c.srv.pubsub.unsubscribe(c, kind, string(ch)))
			}
			return
		}
		names, counts := c.srv.pubsub.unsubscribeKind(c, kind)
		for i, ch := range names {
			c.writeSubReply(verb, []byte(ch), counts[i])
		}
		if len(names) == 0 {
			c.writeSubReply(verb, nil, c.srv.pubsub.count(c, kind))
		}
	}
}

func publishCmd(c *conn, args [][]byte) {
	n := c.srv.publish(args[1], args[2])
	if !c.peer {
		c.srv.publishToPeers(c, args) // pubsub_cluster.go
	}
	c.w.WriteInt(int64(n))
}

func spublishCmd(c *conn, args [][]byte) {
	c.w.WriteInt(int64(c.srv.pubsub.publish(subShard, args[1], args[2])))
}

// publish delivers a message to the subscribers of channel and of the
// patterns matching it on this node, and returns how many messages it
// delivered. It is the publishing point of PUBLISH and keyspace events.
func (s *Server) publish(channel, payload []byte) int {
	return s.pubsub.publish(subChannel, channel, payload)
}

// writeSubReply writes a (un)subscribe confirmation; a nil channel is null.
// As in Redis, confirmations are pushes that CLIENT REPLY OFF|SKIP does not
// silence.
func (c *conn) writeSubReply(kind string, channel []byte, count int) {
	w := c.w
	if w == c.discard {
		w = c.out
	}
	w.WritePush(3)
	w.WriteBulkString(kind)
	if channel == nil {
		w.WriteNull()
	} else {
		w.WriteBulk(channel)
	}
	w.WriteInt(int64(count))
}

// count is the subscription count a confirmation of kind reports:
// channels and patterns together, or shard channels alone, as Redis.
func (p *pubsubRegistry) count(c *conn, kind subKind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.countLocked(c, kind)
}

func (p *pubsubRegistry) countLocked(c *conn, kind subKind) int {
	if kind == subShard {
		return len(c.push.subs[subShard])
	}
	return len(c.push.subs[subChannel]) + len(c.push.subs[subPattern])
}

// subscribe adds c to name and returns the count to confirm with.
func (p *pubsubRegistry) subscribe(c *conn, kind subKind, name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.push.subs[kind] == nil {
		c.push.subs[kind] = map[string]struct{}{}
	}
	if _, ok := c.push.subs[kind][name]; !ok {
		c.push.subs[kind][name] = struct{}{}
		if p.tables[kind] == nil {
			p.tables[kind] = map[string]map[*conn]struct{}{}
		}
		set := p.tables[kind][name]
		if set == nil {
			set = map[*conn]struct{}{}
			p.tables[kind][name] = set
		}
		set[c] = struct{}{}
		p.recount(c)
	}
	return p.countLocked(c, kind)
}

// unsubscribe removes c from name and returns the count to confirm with.
func (p *pubsubRegistry) unsubscribe(c *conn, kind subKind, name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(c, kind, name)
	return p.countLocked(c, kind)
}

func (p *pubsubRegistry) remove(c *conn, kind subKind, name string) {
	if _, ok := c.push.subs[kind][name]; !ok {
		return
	}
	delete(c.push.subs[kind], name)
	delete(p.tables[kind][name], c)
	if len(p.tables[kind][name]) == 0 {
		delete(p.tables[kind], name)
	}
	p.recount(c)
}

// recount publishes c's total subscription count to other goroutines.
func (p *pubsubRegistry) recount(c *conn) {
	n := 0
	for _, m := range c.push.subs {
		n += len(m)
	}
	c.push.subCount.Store(int32(n))
}

// unsubscribeKind removes c from every name of kind and returns the names
// with the count after each removal.
func (p *pubsubRegistry) unsubscribeKind(c *conn, kind subKind) ([]string, []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(c.push.subs[kind]))
	for ch := range c.push.subs[kind] {
		names = append(names, ch)
	}
	counts := make([]int, len(names))
	for i, ch := range names {
		p.remove(c, kind, ch)
		counts[i] = p.countLocked(c, kind)
	}
	return names, counts
}

// unsubscribeAll removes c from everything, without replies (RESET, a
// closed connection).
func (p *pubsubRegistry) unsubscribeAll(c *conn) {
	for k := range numSubKinds {
		p.unsubscribeKind(c, k)
	}
}

// publish delivers payload on channel: to the channel's subscribers (shard
// channels for subShard), then, for subChannel, once per matching pattern
// of each pattern subscriber. It returns the number of messages queued.
func (p *pubsubRegistry) publish(kind subKind, channel, payload []byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	verb := "message"
	if kind == subShard {
		verb = "smessage"
	}
	var frames [2][]byte // RESP2, RESP3 encodings, built on first use
	n := 0
	for c := range p.tables[kind][string(channel)] {
		c.pushFrame(frameFor(&frames, c, verb, nil, channel, payload))
		n++
	}
	if kind != subChannel {
		return n
	}
	for pat, set := range p.tables[subPattern] {
		if !store.Match([]byte(pat), channel, false) {
			continue
		}
		var pframes [2][]byte
		for c := range set {
			c.pushFrame(frameFor(&pframes, c, "pmessage", []byte(pat), channel, payload))
			n++
		}
	}
	return n
}

// frameFor returns the message frame in c's protocol, encoding it into
// frames on first use.
func frameFor(frames *[2][]byte, c *conn, verb string, pattern, channel, payload []byte) []byte {
	i := 0
	if c.isResp3() {
		i = 1
	}
	if frames[i] == nil {
		frames[i] = appendPubsubMessage(nil, i == 1, verb, pattern, channel, payload)
	}
	return frames[i]
}

// names returns the names of kind with subscribers, those matching pattern
// when it is not nil.
func (p *pubsubRegistry) names(kind subKind, pattern []byte) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.tables[kind]))
	for name := range p.tables[kind] {
		if pattern == nil || store.Match(pattern, []byte(name), false) {
			out = append(out, name)
		}
	}
	return out
}

// subscribers returns the number of subscribers of name.
func (p *pubsubRegistry) subscribers(kind subKind, name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tables[kind][name])
}

// numNames returns the number of names of kind with subscribers (INFO
// pubsub_channels, pubsub_patterns, PUBSUB NUMPAT).
func (p *pubsubRegistry) numNames(kind subKind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tables[kind])
}

// numChannels returns the number of channels with subscribers (INFO).
func (p *pubsubRegistry) numChannels() int { return p.numNames(subChannel) }

// subscribedRESP2 reports whether c is limited to pub/sub commands.
func (c *conn) subscribedRESP2() bool {
	return c.push.subCount.Load() > 0 && c.proto() == 2
}

// allowedSubscribed reports whether cmd may run in RESP2 subscribed mode.
func (cmd *command) allowedSubscribed() bool {
	switch cmd.name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
		"ping", "quit", "reset":
		return true
	}
	return false
}

// subscribedErr is Redis's error for other commands in RESP2 subscribed
// mode; it names a known subcommand as "container|sub", as Redis does.
func subscribedErr(cmd *command, args [][]byte) string {
	name := cmd.name
	if len(args) > 1 && isSubcommand(cmd.name, strings.ToLower(string(args[1]))) {
		name += "|" + strings.ToLower(string(args[1]))
	}
	return "ERR Can't execute '" + name +
		"': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

func isSubcommand(container, sub string) bool {
	var ok bool
	switch container {
	case "client":
		_, ok = clientSubcommands[sub]
	case "config":
		_, ok = configSubcommands[sub]
	case "command":
		_, ok = commandSubcommands[sub]
	case "pubsub":
		_, ok = pubsubSubcommands[sub]
	}
	return ok
}

// pingSubscribed answers PING in RESP2 subscribed mode: ["pong", arg or ""].
func pingSubscribed(c *conn, args [][]byte) {
	c.w.WriteArray(2)
	c.w.WriteBulkString("pong")
	if len(args) > 1 {
		c.w.WriteBulk(args[1])
	} else {
		c.w.WriteBulkString("")
	}
}
