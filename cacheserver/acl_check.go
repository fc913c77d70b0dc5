package cacheserver

import (
	"fmt"
	"strings"

	"github.com/ringcache/ringcache/internal/acl"
)

// Permission errors, Redis 7.0.15's texts.
const (
	noPermCmdErr     = "NOPERM this user has no permissions to run the '%s' command"
	noPermKeyErr     = "NOPERM this user has no permissions to access one of the keys used as arguments"
	noPermChannelErr = "NOPERM this user has no permissions to access one of the channels used as arguments"
)

// aclUser returns the connection's user (the default user's until AUTH).
func (c *conn) aclUser() *acl.User { return c.user.Load().cur.Load() }

// aclDenied checks the command against the connection's user before it
// runs, queues or is forwarded, and answers NOPERM (logged in ACL LOG)
// when it is not allowed. Peer connections are not checked: the node a
// client is connected to checked the command before forwarding it. The
// hot path is one atomic load and one flag for an unrestricted user.
func (c *conn) aclDenied(cmd *command, args [][]byte) bool {
	return c.aclRefused(cmd, args, "toplevel")
}

// aclRefused is aclDenied in a context: "toplevel", or "multi" for a
// queued command EXEC checks again (the user may have changed since).
func (c *conn) aclRefused(cmd *command, args [][]byte, context string) bool {
	if c.peer {
		return false
	}
	u := c.aclUser()
	if u.Unrestricted() {
		return false
	}
	c.keyBuf = appendKeys(c.keyBuf[:0], cmd, args)
	reason, object := aclCheck(u, cmd, args, c.keyBuf)
	clear(c.keyBuf)
	if reason == "" {
		return false
	}
	c.lastCmd.Store(cmd) // client-info names the command denied, as in Redis
	c.srv.acl.log.add(reason, context, object, u.Name(), c.describe())
	msg := noPermChannelErr
	switch reason {
	case "command":
		msg = fmt.Sprintf(noPermCmdErr, object)
	case "key":
		msg = noPermKeyErr
	}
	if context == "multi" {
		c.reject(msg) // one element of EXEC's reply
		return true
	}
	c.inOrder(func() { c.reject(msg) }) // behind forwarded replies still pending
	return true
}

// aclCheck returns why u may not run args ("command", "key", "channel")
// and the object denied (the command, key or channel), or "" if it may.
// keys are the command's keys (appendKeys).
func aclCheck(u *acl.User, cmd *command, args, keys [][]byte) (reason, object string) {
	if !cmd.noAuth {
		id, name := cmd.aclID, cmd.name
		var first []byte
		if len(args) > 1 {
			first = args[1]
		}
		if cmd.subIDs != nil && first != nil {
			if sid, ok := cmd.subIDs[strings.ToLower(string(first))]; ok {
				id, name, first = sid, cmd.name+"|"+strings.ToLower(string(first)), nil
			}
		}
		if !u.CanRun(id, first) {
			return "command", name
		}
	}
	if !u.AllKeys() {
		perm := cmd.keyPerm(args)
		for _, k := range keys {
			if !u.KeyAllowed(k, perm) {
				return "key", string(k)
			}
		}
	}
	if cmd.chans != chanNone && !u.AllChannels() {
		chans := args[1:]
		if cmd.chans == chanFirst {
			chans = args[1:min(2, len(args))]
		}
		for _, ch := range chans {
			if !u.ChannelAllowed(ch, cmd.chans == chanPatterns) {
				return "channel", string(ch)
			}
		}
	}
	return "", ""
}

// keyReadable reports whether the connection's user may read key: the
// invalidation pushes of CLIENT TRACKING never name other keys.
func (c *conn) keyReadable(key []byte) bool {
	u := c.aclUser()
	return u.AllKeys() || u.KeyAllowed(key, acl.PermRead)
}

// readableKeys returns the keys both the tracking client and the client
// its invalidations go to may read (keys itself when their users read
// every key, the common case, without allocating).
func readableKeys(tc, target *conn, keys [][]byte) [][]byte {
	if len(keys) == 0 || tc.aclUser().AllKeys() && target.aclUser().AllKeys() {
		return keys
	}
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		if tc.keyReadable(k) && target.keyReadable(k) {
			out = append(out, k)
		}
	}
	return out
}
