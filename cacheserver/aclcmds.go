package cacheserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/ringcache/ringcache/internal/acl"
)

// ACL SETUSER/GETUSER/DELUSER/LIST/USERS/WHOAMI/CAT/LOG/SAVE/LOAD/DRYRUN/
// GENPASS/HELP, as Redis 7.

var aclSubcommands = map[string]subcommand{
	"setuser": {-3, aclSetUser},
	"getuser": {3, aclGetUser},
	"deluser": {-3, aclDelUser},
	"list":    {2, func(c *conn, _ [][]byte) { c.writeUserLines() }},
	"users":   {2, aclUsers},
	"whoami":  {2, func(c *conn, _ [][]byte) { c.w.WriteBulkString(c.user.Load().name) }},
	"cat":     {-2, aclCat},
	"log":     {-2, aclLogCmd},
	"save":    {2, aclSave},
	"load":    {2, aclLoad},
	"dryrun":  {-4, aclDryRun},
	"genpass": {-2, aclGenPass},
	"help":    {2, aclHelp},
}

func aclCommands() []*command {
	return []*command{{name: "acl", arity: -2, flags: []string{"noscript", "loading", "stale"},
		acl: []string{"@slow"}, subs: aclSubcommands, group: "server", since: "6.0.0",
		adminSubs: []string{"setuser", "getuser", "deluser", "list", "users", "log", "save", "load", "dryrun"},
		summary:   "A container for Access List Control commands.",
		handler:   func(c *conn, args [][]byte) { c.runSubcommand("ACL", aclSubcommands, args) }}}
}

// aclSetUser is ACL SETUSER name [rule ...].
func aclSetUser(c *conn, args [][]byte) {
	name := string(args[2])
	if !acl.ValidName(name) {
		c.replyErrString("ERR Usernames can't contain spaces or null characters")
		return
	}
	rules := make([]string, 0, len(args)-3)
	for _, a := range args[3:] {
		rules = append(rules, string(a))
	}
	h, err := c.srv.acl.setUser(name, rules)
	if err != nil {
		c.replyErrString("ERR " + err.Error())
		return
	}
	c.srv.dropRevokedSubscribers(c, h)
	c.w.WriteSimple("OK")
}

// aclGetUser is ACL GETUSER name: a map of flags, passwords, commands,
// keys, channels and (empty) selectors, or null.
func aclGetUser(c *conn, args [][]byte) {
	h := c.srv.acl.get(string(args[2]))
	if h == nil {
		c.w.WriteNull()
		return
	}
	u := h.cur.Load()
	c.w.WriteMap(6)
	c.w.WriteBulkString("flags")
	c.writeStrings(u.Flags())
	c.w.WriteBulkString("passwords")
	c.writeStrings(u.Passwords())
	for _, kv := range [][2]string{{"commands", u.CommandRules()}, {"keys", u.KeyRules()},
		{"channels", u.ChannelRules()}} {
		c.w.WriteBulkString(kv[0])
		c.w.WriteBulkString(kv[1])
	}
	c.w.WriteBulkString("selectors")
	c.w.WriteArray(0)
}

func (c *conn) writeStrings(ss []string) {
	c.w.WriteArray(len(ss))
	for _, s := range ss {
		c.w.WriteBulkString(s)
	}
}

// aclDelUser is ACL DELUSER name [name ...]: the clients logged in as a
// deleted user are disconnected.
func aclDelUser(c *conn, args [][]byte) {
	names := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		if string(a) == "default" {
			c.replyErrString("ERR The 'default' user cannot be removed")
			return
		}
		names = append(names, string(a))
	}
	gone := c.srv.acl.delUsers(names)
	c.srv.killUsers(c, gone)
	c.w.WriteInt(int64(len(gone)))
}

// killUsers disconnects the clients of the given users (self after its
// reply).
func (s *Server) killUsers(self *conn, hs []*aclHandle) {
	if len(hs) == 0 {
		return
	}
	s.killWhere(self, func(o *conn) bool {
		u := o.user.Load()
		for _, h := range hs {
			if u == h {
				return true
			}
		}
		return false
	}, false)
}

func (c *conn) writeUserLines() {
	users := c.srv.acl.sorted()
	c.w.WriteArray(len(users))
	for _, u := range users {
		c.w.WriteBulkString(u.Line())
	}
}

func aclUsers(c *conn, _ [][]byte) {
	users := c.srv.acl.sorted()
	c.w.WriteArray(len(users))
	for _, u := range users {
		c.w.WriteBulkString(u.Name())
	}
}

// aclCat is ACL CAT [category]: the categories, or the commands and
// subcommands in one.
func aclCat(c *conn, args [][]byte) {
	if len(args) == 2 {
		c.writeStrings(acl.CategoryNames())
		return
	}
	if len(args) > 3 {
		c.replyErrString("ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.")
		return
	}
	cat, ok := acl.ParseCategory(string(args[2]))
	if !ok {
		c.replyErrString(fmt.Sprintf("ERR Unknown category '%.128s'", args[2]))
		return
	}
	ids := c.srv.cmds.catalog.InCategory(cat)
	c.w.WriteArray(len(ids))
	for _, id := range ids {
		c.w.WriteBulkString(c.srv.cmds.catalog.Name(id))
	}
}

func aclSave(c *conn, _ [][]byte) {
	if err := c.srv.acl.save(); err != nil {
		c.replyACLFileErr(err, "ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.w.WriteSimple("OK")
}

// aclLoad is ACL LOAD: the clients of users deleted or changed are
// disconnected (this one after its reply).
func aclLoad(c *conn, _ [][]byte) {
	changed, err := c.srv.acl.load()
	if err != nil {
		c.replyACLFileErr(err, "ERR Error loading ACLs, "+err.Error())
		return
	}
	c.srv.killUsers(c, changed)
	c.w.WriteSimple("OK")
}

func (c *conn) replyACLFileErr(err error, text string) {
	if err.Error() == noACLFileErr {
		c.replyErrString(noACLFileErr)
		return
	}
	c.srv.log.Warn("acl file", "file", c.srv.acl.file, "err", err)
	c.replyErrString(strings.ReplaceAll(text, "\n", " "))
}

// aclDryRun is ACL DRYRUN user command [arg ...].
func aclDryRun(c *conn, args [][]byte) {
	h := c.srv.acl.get(string(args[2]))
	if h == nil {
		c.replyErrString(fmt.Sprintf("ERR User '%s' not found", args[2]))
		return
	}
	cmd := c.srv.cmds.lookup(args[3])
	switch {
	case cmd == nil:
		c.replyErrString(fmt.Sprintf("ERR Command '%s' not found", args[3]))
		return
	case !cmd.arityOK(len(args) - 3):
		c.replyErrString(arityErr(cmd.name))
		return
	}
	reason, object := aclCheck(h.cur.Load(), cmd, args[3:], keys(cmd, args[3:]))
	switch reason {
	case "":
		c.w.WriteSimple("OK")
	case "command":
		c.w.WriteBulkString("This user has no permissions to run the '" + object + "' command")
	default:
		c.w.WriteBulkString("This user has no permissions to access the '" + object + "' " + reason)
	}
}

// aclGenPass is ACL GENPASS [bits]: random hex, 256 bits by default.
func aclGenPass(c *conn, args [][]byte) {
	bits := int64(256)
	if len(args) > 3 {
		c.replyErrString(syntaxErr)
		return
	}
	if len(args) == 3 {
		n, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil || n <= 0 || n > 4096 {
			c.replyErrString("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	b := make([]byte, (bits+7)/8)
	_, _ = rand.Read(b)
	c.w.WriteBulkString(hex.EncodeToString(b)[:(bits+3)/4])
}

var aclHelpLines = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Print this help.",
}

func aclHelp(c *conn, _ [][]byte) {
	c.w.WriteArray(len(aclHelpLines))
	for _, l := range aclHelpLines {
		c.w.WriteSimple(l)
	}
}

// dropRevokedSubscribers disconnects the clients of h subscribed to a
// channel h's user may no longer use, as Redis does on ACL SETUSER.
func (s *Server) dropRevokedSubscribers(self *conn, h *aclHandle) {
	u := h.cur.Load()
	if u.AllChannels() {
		return
	}
	subs := s.pubsub.channelsByConn()
	s.killWhere(self, func(o *conn) bool {
		if o.user.Load() != h {
			return false
		}
		for _, ch := range subs[o] {
			if !u.ChannelAllowed([]byte(ch), false) {
				return true
			}
		}
		return false
	}, false)
}
