package cacheserver

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// Commands implemented in this file and its siblings (server side):
// COMMAND, INFO, CONFIG, TIME.
func serverCommands() []*command {
	return []*command{
		{name: "command", arity: -1, flags: []string{"loading", "stale"}, acl: []string{"@slow", "@connection"}, subs: commandSubcommands,
			group: "server", since: "2.8.13", summary: "Returns detailed information about all commands.",
			handler: commandCmd},
		{name: "info", arity: -1, flags: []string{"loading", "stale"}, acl: []string{"@slow", "@dangerous"},
			group: "server", since: "1.0.0", summary: "Returns information and statistics about the server.",
			handler: infoCmd},
		{name: "config", arity: -2, flags: []string{"admin", "noscript", "loading", "stale"},
			acl: []string{"@admin", "@slow", "@dangerous"}, subs: configSubcommands, group: "server", since: "2.0.0",
			summary: "A container for server configuration commands.", handler: configCmd},
		{name: "time", arity: 1, flags: []string{"loading", "stale", "fast"}, acl: []string{"@fast"},
			group: "server", since: "2.6.0", summary: "Returns the server time.", handler: timeCmd},
	}
}

func timeCmd(c *conn, _ [][]byte) {
	now := time.Now()
	c.w.WriteArray(2)
	c.w.WriteBulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.WriteBulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

var commandSubcommands = map[string]subcommand{
	"count":   {2, func(c *conn, _ [][]byte) { c.w.WriteInt(int64(len(c.srv.cmds.sorted))) }},
	"info":    {-2, commandInfo},
	"docs":    {-2, commandDocs},
	"list":    {-2, commandList},
	"getkeys": {-3, commandGetKeys},
}

func commandCmd(c *conn, args [][]byte) {
	if len(args) == 1 {
		c.writeAllCommands()
		return
	}
	c.runSubcommand("COMMAND", commandSubcommands, args)
}

func (c *conn) writeAllCommands() {
	c.w.WriteArray(len(c.srv.cmds.sorted))
	for _, cmd := range c.srv.cmds.sorted {
		c.writeCommandInfo(cmd)
	}
}

// writeCommandInfo writes Redis 7's 10-element COMMAND INFO entry.
func (c *conn) writeCommandInfo(cmd *command) {
	c.w.WriteArray(10)
	c.w.WriteBulkString(cmd.name)
	c.w.WriteInt(int64(cmd.arity))
	c.writeSimpleSet(cmd.flags)
	c.w.WriteInt(int64(cmd.firstKey))
	c.w.WriteInt(int64(cmd.lastKey))
	c.w.WriteInt(int64(cmd.step))
	c.writeSimpleSet(cmd.acl)
	c.w.WriteArray(0) // tips
	c.w.WriteArray(0) // key specifications
	c.w.WriteArray(0) // subcommands
}

func (c *conn) writeSimpleSet(items []string) {
	c.w.WriteSet(len(items))
	for _, s := range items {
		c.w.WriteSimple(s)
	}
}

func commandInfo(c *conn, args [][]byte) {
	if len(args) == 2 {
		c.writeAllCommands()
		return
	}
	c.w.WriteArray(len(args) - 2)
	for _, a := range args[2:] {
		if cmd := c.srv.cmds.lookup(a); cmd != nil {
			c.writeCommandInfo(cmd)
		} else {
			c.w.WriteNullArray()
		}
	}
}

// commandDocs is COMMAND DOCS [name ...]: a map name -> doc map.
func commandDocs(c *conn, args [][]byte) {
	cmds := c.srv.cmds.sorted
	if len(args) > 2 {
		cmds = nil
		for _, a := range args[2:] {
			if cmd := c.srv.cmds.lookup(a); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.w.WriteMap(len(cmds))
	for _, cmd := range cmds {
		c.w.WriteBulkString(cmd.name)
		c.w.WriteMap(3)
		c.w.WriteBulkString("summary")
		c.w.WriteBulkString(cmd.summary)
		c.w.WriteBulkString("since")
		c.w.WriteBulkString(cmd.since)
		c.w.WriteBulkString("group")
		c.w.WriteBulkString(cmd.group)
	}
}

// commandList is COMMAND LIST [FILTERBY MODULE m | ACLCAT cat | PATTERN p].
func commandList(c *conn, args [][]byte) {
	keep := func(*command) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 5 && strings.EqualFold(string(args[2]), "filterby"):
		v := strings.ToLower(string(args[4]))
		switch strings.ToLower(string(args[3])) {
		case "module":
			keep = func(*command) bool { return false }
		case "aclcat":
			keep = func(cmd *command) bool { return hasString(cmd.acl, "@"+v) }
		case "pattern":
			keep = func(cmd *command) bool { ok, _ := path.Match(v, cmd.name); return ok }
		default:
			c.replyErrString(syntaxErr)
			return
		}
	default:
		c.replyErrString(syntaxErr)
		return
	}
	var names []string
	for _, cmd := range c.srv.cmds.sorted {
		if keep(cmd) {
			names = append(names, cmd.name)
		}
	}
	c.w.WriteArray(len(names))
	for _, n := range names {
		c.w.WriteBulkString(n)
	}
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// commandGetKeys is COMMAND GETKEYS command [arg ...].
func commandGetKeys(c *conn, args [][]byte) {
	sub := args[2:]
	cmd := c.srv.cmds.lookup(sub[0])
	switch {
	case cmd == nil:
		c.replyErrString("ERR Invalid command specified")
		return
	case !cmd.arityOK(len(sub)):
		c.replyErrString("ERR Invalid number of arguments specified for command")
		return
	}
	ks := keys(cmd, sub)
	if len(ks) == 0 {
		c.replyErrString("ERR The command has no key arguments")
		return
	}
	c.w.WriteArray(len(ks))
	for _, k := range ks {
		c.w.WriteBulk(k)
	}
}
