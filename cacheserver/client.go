package cacheserver

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// clientCmd dispatches CLIENT subcommands.
func clientCmd(c *conn, args [][]byte) { c.runSubcommand("CLIENT", clientSubcommands, args) }

// runSubcommand runs args[1] of a container command (CLIENT, CONFIG,
// COMMAND, CLUSTER) from its table, with Redis's unknown-subcommand and
// arity errors.
func (c *conn) runSubcommand(name string, table map[string]subcommand, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	h, ok := table[sub]
	if !ok {
		c.subStat = &c.srv.cmds.noStats
		c.replyErrString(fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", args[1], name))
		return
	}
	full := strings.ToLower(name) + "|" + sub
	c.subStat = c.srv.cmds.subStat(full)
	if !h.arityOK(len(args)) {
		c.subRejected = true
		c.replyErrString(arityErr(full))
		return
	}
	c.lastSub.Store(&full)
	h.fn(c, args)
}

// subcommand is one CLIENT or CONFIG subcommand with its arity (counting the
// command and subcommand names).
type subcommand struct {
	arity int
	fn    func(c *conn, args [][]byte)
}

func (s subcommand) arityOK(n int) bool {
	if s.arity >= 0 {
		return n == s.arity
	}
	return n >= -s.arity
}

var clientSubcommands = map[string]subcommand{
	"id":       {2, func(c *conn, _ [][]byte) { c.w.WriteInt(c.id) }},
	"setname":  {3, clientSetName},
	"getname":  {2, clientGetName},
	"setinfo":  {4, clientSetInfo},
	"list":     {-2, clientList},
	"info":     {2, func(c *conn, _ [][]byte) { c.w.WriteVerbatim("txt", c.describe()) }},
	"kill":     {-3, clientKill},
	"no-evict": {3, clientNoEvict},
	"no-touch": {3, clientNoTouch},
	"reply":    {3, clientReply},

	"tracking":     {-3, clientTracking}, // tracking_cmds.go
	"caching":      {3, clientCaching},
	"trackinginfo": {2, clientTrackingInfo},
	"getredir":     {2, clientGetRedir},
}

func clientSetName(c *conn, args [][]byte) {
	if !validClientName(args[2]) {
		c.replyErrString(badNameErr)
		return
	}
	c.setName(string(args[2]))
	c.w.WriteSimple("OK")
}

func clientGetName(c *conn, _ [][]byte) {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.w.WriteNull()
		return
	}
	c.w.WriteBulkString(name)
}

func clientSetInfo(c *conn, args [][]byte) {
	val := string(args[3])
	if strings.ContainsFunc(val, func(r rune) bool { return r < '!' || r > '~' }) {
		c.replyErrString("ERR " + string(args[2]) + " cannot contain spaces, newlines or special characters.")
		return
	}
	opt := strings.ToLower(string(args[2]))
	if opt != "lib-name" && opt != "lib-ver" {
		c.replyErrString("ERR Unrecognized option '" + string(args[2]) + "'")
		return
	}
	c.mu.Lock()
	if opt == "lib-name" {
		c.libName = val
	} else {
		c.libVer = val
	}
	c.mu.Unlock()
	c.w.WriteSimple("OK")
}

// onOff parses CLIENT ... ON|OFF.
func (c *conn) onOff(arg []byte) (bool, bool) {
	switch strings.ToLower(string(arg)) {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	c.replyErrString(syntaxErr)
	return false, false
}

func clientNoEvict(c *conn, args [][]byte) {
	if v, ok := c.onOff(args[2]); ok {
		c.noEvict.Store(v)
		c.w.WriteSimple("OK")
	}
}

func clientNoTouch(c *conn, args [][]byte) {
	if v, ok := c.onOff(args[2]); ok {
		c.noTouch = v
		c.w.WriteSimple("OK")
	}
}

// clientList is CLIENT LIST [TYPE normal] [ID id ...].
func clientList(c *conn, args [][]byte) {
	var ids map[int64]bool
	for i := 2; i < len(args); {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "type" && i+1 < len(args):
			t := strings.ToLower(string(args[i+1]))
			if t != "normal" && t != "master" && t != "replica" && t != "slave" && t != "pubsub" {
				c.replyErrString("ERR Unknown client type '" + string(args[i+1]) + "'")
				return
			}
			if t != "normal" {
				ids = map[int64]bool{}
			}
			i += 2
		case opt == "id" && i+1 < len(args):
			if ids = c.parseIDs(args[i+1:]); ids == nil {
				return
			}
			i = len(args)
		default:
			c.replyErrString(syntaxErr)
			return
		}
	}
	var b strings.Builder
	for _, o := range c.srv.sortedConns() {
		if ids == nil || ids[o.id] {
			b.WriteString(o.describe())
		}
	}
	c.w.WriteVerbatim("txt", b.String())
}

func (c *conn) parseIDs(args [][]byte) map[int64]bool {
	ids := make(map[int64]bool, len(args))
	for _, a := range args {
		id, err := strconv.ParseInt(string(a), 10, 64)
		if err != nil || id <= 0 {
			c.replyErrString("ERR Invalid client ID")
			return nil
		}
		ids[id] = true
	}
	return ids
}

// describe returns the connection's CLIENT LIST line (with "\n").
func (c *conn) describe() string {
	now := time.Now()
	c.mu.Lock()
	name, lib, ver, resp3 := c.name, c.libName, c.libVer, c.resp3
	c.mu.Unlock()
	cmdName := "NULL"
	if cmd := c.lastCmd.Load(); cmd != nil {
		cmdName = cmd.name
		if sub := c.lastSub.Load(); sub != nil && strings.HasPrefix(*sub, cmd.name+"|") {
			cmdName = *sub // as Redis names a subcommand: client|list
		}
	}
	proto := 2
	if resp3 {
		proto = 3
	}
	flags := "N"
	if c.noEvict.Load() {
		flags = "e"
	}
	qbuf := c.mem.qbuf.Load()
	idle := now.Sub(time.Unix(0, c.lastAct.Load()))
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=-1 name=%s age=%d idle=%d flags=%s db=0 sub=0 psub=0 "+
		"ssub=0 multi=-1 qbuf=%d qbuf-free=%d argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=%d "+
		"tot-mem=%d events=r cmd=%s user=%s redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
		c.id, c.addr, c.laddr, name, int64(now.Sub(c.created).Seconds()), int64(idle.Seconds()), flags,
		qbuf, max(c.mem.rbuf.Load()-qbuf, 0), c.mem.omem.Load(), c.mem.tot(), cmdName, c.user.Load().name, proto, lib, ver)
}

// clientKill is CLIENT KILL addr:port, or CLIENT KILL [ID id] [ADDR a]
// [LADDR a] [SKIPME yes|no] [USER u] [TYPE t].
func clientKill(c *conn, args [][]byte) {
	if len(args) == 3 {
		if n := c.srv.killWhere(c, func(o *conn) bool { return o.addr == string(args[2]) }, false); n == 0 {
			c.replyErrString("ERR No such client")
			return
		}
		c.w.WriteSimple("OK")
		return
	}
	match, skipMe, ok := c.parseKillFilter(args[2:])
	if !ok {
		return
	}
	c.w.WriteInt(int64(c.srv.killWhere(c, match, skipMe)))
}

func (c *conn) parseKillFilter(args [][]byte) (func(*conn) bool, bool, bool) {
	var preds []func(*conn) bool
	skipMe := true
	if len(args)%2 != 0 {
		c.replyErrString(syntaxErr)
		return nil, false, false
	}
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				c.replyErrString("ERR client-id should be greater than 0")
				return nil, false, false
			}
			preds = append(preds, func(o *conn) bool { return o.id == id })
		case "addr":
			preds = append(preds, func(o *conn) bool { return o.addr == v })
		case "laddr":
			preds = append(preds, func(o *conn) bool { return o.laddr == v })
		case "user":
			if c.srv.acl.get(v) == nil {
				c.replyErrString(fmt.Sprintf("ERR No such user '%s'", v))
				return nil, false, false
			}
			preds = append(preds, func(o *conn) bool { return o.user.Load().name == v })
		case "type":
			p, ok := clientTypeFilter(v)
			if !ok {
				c.replyErrString(fmt.Sprintf("ERR Unknown client type '%s'", v))
				return nil, false, false
			}
			preds = append(preds, p)
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.replyErrString(syntaxErr)
				return nil, false, false
			}
		default:
			c.replyErrString(syntaxErr)
			return nil, false, false
		}
	}
	return func(o *conn) bool {
		for _, p := range preds {
			if !p(o) {
				return false
			}
		}
		return true
	}, skipMe, true
}

// clientTypeFilter is CLIENT KILL TYPE's predicate, with Redis's classes:
// pubsub is a RESP2 client in subscribed mode, normal every other one;
// there are no master or replica clients here.
func clientTypeFilter(typ string) (func(*conn) bool, bool) {
	pubsub := func(o *conn) bool { return o.push.subCount.Load() > 0 && !o.isResp3() }
	switch strings.ToLower(typ) {
	case "normal":
		return func(o *conn) bool { return !pubsub(o) }, true
	case "pubsub":
		return pubsub, true
	case "master", "slave", "replica":
		return func(*conn) bool { return false }, true
	}
	return nil, false
}

// killWhere closes the connections match selects and returns how many; the
// calling connection self is closed after its reply.
func (s *Server) killWhere(self *conn, match func(*conn) bool, skipMe bool) int {
	n := 0
	for _, o := range s.connList() {
		if !match(o) || o == self && skipMe {
			continue
		}
		n++
		if o == self {
			self.closeNow = true
			continue
		}
		o.kill()
	}
	return n
}

// clientReply is CLIENT REPLY ON|OFF|SKIP. ON answers OK; OFF and SKIP
// answer nothing.
func clientReply(c *conn, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.reply = replyOn
		c.out.WriteSimple("OK")
	case "off":
		c.reply = replyOff
	case "skip":
		if c.reply == replyOn {
			c.reply = replySkip
		}
	default:
		c.replyErrString(syntaxErr)
	}
}
