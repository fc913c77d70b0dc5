package cacheserver

import (
	"bytes"
	"strconv"
	"strings"
)

// connFlags are the flags of cheap connection commands.
var connFlags = []string{"noscript", "loading", "stale", "fast"}

func connCommands() []*command {
	conn := func(name string, arity int, flags []string, since, summary string, h func(*conn, [][]byte)) *command {
		return &command{name: name, arity: arity, flags: flags, acl: []string{"@fast", "@connection"},
			group: "connection", since: since, summary: summary, handler: h}
	}
	authFlags := []string{"noscript", "loading", "stale", "fast", "no-auth", "allow_busy"}
	return []*command{
		conn("ping", -1, connFlags, "1.0.0", "Returns the server's liveliness response.", pingCmd),
		conn("echo", 2, connFlags, "1.0.0", "Returns the given string.", echoCmd),
		conn("quit", -1, authFlags, "1.0.0", "Closes the connection.", quitCmd),
		conn("reset", 1, authFlags, "6.2.0", "Resets the connection.", resetCmd),
		conn("hello", -1, authFlags, "6.0.0", "Handshakes with the Redis server.", helloCmd),
		conn("auth", -2, authFlags, "1.0.0", "Authenticates the connection.", authCmd),
		conn("select", 2, []string{"loading", "stale", "fast"}, "1.0.0", "Changes the selected database.", selectCmd),
		withSubs(clientSubcommands, []string{"kill", "list", "pause", "unpause", "no-evict"}, // acl_table.go
			conn("client", -2, []string{"noscript", "loading", "stale"}, "2.4.0", "A container for client connection commands.", clientCmd)),
	}
}

func pingCmd(c *conn, args [][]byte) {
	if c.subscribedRESP2() && len(args) <= 2 {
		pingSubscribed(c, args)
		return
	}
	switch len(args) {
	case 1:
		c.w.WriteSimple("PONG")
	case 2:
		c.w.WriteBulk(args[1])
	default:
		c.replyErrString(arityErr("ping"))
	}
}

func echoCmd(c *conn, args [][]byte) { c.w.WriteBulk(args[1]) }

// quitCmd closes the push side before replying: once the client has read
// OK, a client redirecting its invalidations here finds it gone and gets
// tracking-redir-broken, as in Redis.
func quitCmd(c *conn, _ [][]byte) {
	c.closePush()
	c.w.WriteSimple("OK")
	c.closeNow = true
}

func resetCmd(c *conn, _ [][]byte) {
	c.multi = nil
	c.srv.watch.unwatchAll(c)
	c.srv.track.disable(c)
	c.srv.pubsub.unsubscribeAll(c)
	c.setProto(2)
	c.mu.Lock()
	c.name = ""
	c.mu.Unlock()
	c.noTouch = false
	c.noEvict.Store(false)
	c.user.Store(c.srv.acl.def)
	c.setAuthed(c.srv.acl.defaultNoPass())
	c.w.WriteSimple("RESET")
}

func selectCmd(c *conn, args [][]byte) {
	n, err := strconv.ParseInt(string(args[1]), 10, 64)
	switch {
	case err != nil:
		c.replyErrString(notIntegerErr)
	case n != 0:
		c.replyErrString(dbIndexErr)
	default:
		c.w.WriteSimple("OK")
	}
}

func authCmd(c *conn, args [][]byte) {
	var user, pass []byte
	switch len(args) {
	case 2:
		if c.srv.acl.def.cur.Load().NoPass() {
			c.replyErrString(noPassSetErr)
			return
		}
		pass = args[1]
	case 3:
		user, pass = args[1], args[2]
	default:
		c.replyErrString(syntaxErr)
		return
	}
	if !c.login(user, pass) { // acl.go
		c.replyErrString(wrongPassErr)
		return
	}
	c.setAuthed(true)
	c.w.WriteSimple("OK")
}

// helloCmd is HELLO [protover [AUTH user pass] [SETNAME name]].
func helloCmd(c *conn, args [][]byte) {
	ver := c.proto()
	if len(args) > 1 {
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			c.replyErrString("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			c.replyErrString("NOPROTO unsupported protocol version")
			return
		}
		ver = int(v)
	}
	o, ok := c.parseHelloOpts(args[min(2, len(args)):])
	if !ok {
		return
	}
	user, pass, name, authSeen, nameSeen := o.user, o.pass, o.name, o.auth, o.setName
	if authSeen && !c.login(user, pass) {
		c.replyErrString(wrongPassErr)
		return
	}
	if authSeen {
		c.setAuthed(true)
	}
	if !c.authed {
		c.replyErrString("NOAUTH HELLO must be called with the client already authenticated, " +
			"otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate " +
			"the client and select the RESP protocol version at the same time")
		return
	}
	if nameSeen && !validClientName(name) {
		c.replyErrString(badNameErr)
		return
	}
	if nameSeen {
		c.setName(string(name))
	}
	c.setProto(ver)
	c.writeHello(ver)
}

// helloOpts are HELLO's AUTH and SETNAME options.
type helloOpts struct {
	user, pass, name []byte
	auth, setName    bool
}

func (c *conn) parseHelloOpts(args [][]byte) (helloOpts, bool) {
	var o helloOpts
	for i := 0; i < len(args); i++ {
		more := len(args) - i - 1
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "auth" && more >= 2:
			o.user, o.pass, o.auth = args[i+1], args[i+2], true
			i += 2
		case opt == "setname" && more >= 1:
			o.name, o.setName = args[i+1], true
			i++
		default:
			c.replyErrString("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return o, false
		}
	}
	return o, true
}

func (c *conn) writeHello(ver int) {
	c.w.WriteMap(7)
	c.w.WriteBulkString("server")
	c.w.WriteBulkString("redis")
	c.w.WriteBulkString("version")
	c.w.WriteBulkString(redisVersion)
	c.w.WriteBulkString("proto")
	c.w.WriteInt(int64(ver))
	c.w.WriteBulkString("id")
	c.w.WriteInt(c.id)
	c.w.WriteBulkString("mode")
	c.w.WriteBulkString(c.srv.redisMode())
	c.w.WriteBulkString("role")
	c.w.WriteBulkString("master")
	c.w.WriteBulkString("modules")
	c.w.WriteArray(0)
}

// setProto switches the reply protocol.
func (c *conn) setProto(v int) {
	c.w.SetProtocol(v)
	c.out.SetProtocol(v)
	c.mu.Lock()
	c.resp3 = v == 3
	c.mu.Unlock()
}

// setAuthed records authentication and relaxes the reader's limits.
func (c *conn) setAuthed(ok bool) {
	c.authed = ok
	c.r.SetConfig(c.readerConfig())
}

func (c *conn) setName(name string) {
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
}

const badNameErr = "ERR Client names cannot contain spaces, newlines or special characters."

// validClientName reports whether name has only printable ASCII without
// spaces, as Redis requires.
func validClientName(name []byte) bool {
	return bytes.IndexFunc(name, func(r rune) bool { return r < '!' || r > '~' }) < 0
}
