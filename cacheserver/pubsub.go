package cacheserver

import (
	"strings"
	"sync"
)

// Pub/Sub: SUBSCRIBE, UNSUBSCRIBE and PUBLISH on exact channel names, as
// Redis 7. Messages are push frames delivered through the subscriber's
// outbox (tracking_push.go), so PUBLISH never blocks on a slow subscriber
// (one that does not read is closed at OutputBufferLimit). A RESP2
// connection with subscriptions may only run (P|S)SUBSCRIBE,
// (P|S)UNSUBSCRIBE, PING, QUIT and RESET; RESP3 connections run anything.
// Patterns (PSUBSCRIBE) are not implemented.

// pubsubRegistry maps channels to their subscribers.
type pubsubRegistry struct {
	mu       sync.Mutex
	channels map[string]map[*conn]struct{}
}

func pubsubCommands() []*command {
	ps := func(name string, arity int, since, summary string, h func(*conn, [][]byte)) *command {
		return &command{name: name, arity: arity, flags: []string{"pubsub", "noscript", "loading", "stale"},
			acl: []string{"@pubsub", "@slow"}, group: "pubsub", since: since, summary: summary, handler: h}
	}
	return []*command{
		withChans(chanAll, ps("subscribe", -2, "2.0.0", "Listens for messages published to channels.", subscribeCmd)),
		ps("unsubscribe", -1, "2.0.0", "Stops listening to messages posted to channels.", unsubscribeCmd),
		withChans(chanFirst, ps("publish", 3, "2.0.0", "Posts a message to a channel.", publishCmd)),
	}
}

func subscribeCmd(c *conn, args [][]byte) {
	c.activatePush()
	for _, ch := range args[1:] {
		n := c.srv.pubsub.subscribe(c, string(ch))
		c.writeSubReply("subscribe", ch, n)
	}
}

// unsubscribeCmd is UNSUBSCRIBE [channel ...]; without channels it leaves
// every channel, answering one reply per channel (one with a null channel
// when there were none).
func unsubscribeCmd(c *conn, args [][]byte) {
	if len(args) > 1 {
		for _, ch := range args[1:] {
			n := c.srv.pubsub.unsubscribe(c, string(ch))
			c.writeSubReply("unsubscribe", ch, n)
		}
		return
	}
	if !c.srv.pubsub.unsubscribeAll(c, true) {
		c.writeSubReply("unsubscribe", nil, 0)
	}
}

func publishCmd(c *conn, args [][]byte) {
	c.w.WriteInt(int64(c.srv.pubsub.publish(args[1], args[2])))
}

// writeSubReply writes a (un)subscribe confirmation; a nil channel is null.
func (c *conn) writeSubReply(kind string, channel []byte, count int) {
	c.w.WritePush(3)
	c.w.WriteBulkString(kind)
	if channel == nil {
		c.w.WriteNull()
	} else {
		c.w.WriteBulk(channel)
	}
	c.w.WriteInt(int64(count))
}

// subscribe adds c to channel and returns c's subscription count.
func (p *pubsubRegistry) subscribe(c *conn, channel string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.channels == nil {
		p.channels = map[string]map[*conn]struct{}{}
	}
	if c.push.subs == nil {
		c.push.subs = map[string]struct{}{}
	}
	if _, ok := c.push.subs[channel]; !ok {
		c.push.subs[channel] = struct{}{}
		set := p.channels[channel]
		if set == nil {
			set = map[*conn]struct{}{}
			p.channels[channel] = set
		}
		set[c] = struct{}{}
		c.push.subCount.Store(int32(len(c.push.subs)))
	}
	return len(c.push.subs)
}

// unsubscribe removes c from channel and returns c's subscription count.
func (p *pubsubRegistry) unsubscribe(c *conn, channel string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(c, channel)
	return len(c.push.subs)
}

func (p *pubsubRegistry) remove(c *conn, channel string) {
	if _, ok := c.push.subs[channel]; !ok {
		return
	}
	delete(c.push.subs, channel)
	delete(p.channels[channel], c)
	if len(p.channels[channel]) == 0 {
		delete(p.channels, channel)
	}
	c.push.subCount.Store(int32(len(c.push.subs)))
}

// unsubscribeAll removes c from every channel, writing a confirmation per
// channel when reply is set; it reports whether c had any.
func (p *pubsubRegistry) unsubscribeAll(c *conn, reply bool) bool {
	p.mu.Lock()
	names := make([]string, 0, len(c.push.subs))
	for ch := range c.push.subs {
		names = append(names, ch)
	}
	counts := make([]int, len(names))
	for i, ch := range names {
		p.remove(c, ch)
		counts[i] = len(c.push.subs)
	}
	p.mu.Unlock()
	if reply {
		for i, ch := range names {
			c.writeSubReply("unsubscribe", []byte(ch), counts[i])
		}
	}
	return len(names) > 0
}

// publish sends payload to channel's subscribers and returns how many
// received it.
func (p *pubsubRegistry) publish(channel, payload []byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var frames [2][]byte // RESP2, RESP3 encodings, built on first use
	n := 0
	for c := range p.channels[string(channel)] {
		i := 0
		if c.isResp3() {
			i = 1
		}
		if frames[i] == nil {
			frames[i] = appendMessage(nil, i == 1, channel, payload)
		}
		c.pushFrame(frames[i])
		n++
	}
	return n
}

// numChannels returns the number of channels with subscribers (INFO).
func (p *pubsubRegistry) numChannels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.channels)
}

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
