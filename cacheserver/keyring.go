package cacheserver

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/ringcache/ringcache/internal/membership"
)

// CLUSTER KEYRING LIST | INSTALL <key> | USE <key> | REMOVE <key> rotates
// the gossip encryption keys of the whole cluster without downtime, as
// serf's keyring does: INSTALL the new key everywhere, USE it (new primary
// everywhere), REMOVE the old one. Each runs on every member (a gossip
// query) and answers OK only when every member succeeded. Keys are base64
// (16, 24 or 32 bytes). Because LIST shows keys, the command is refused
// unless the node has a password (the client then has authenticated) or
// the client is on the loopback interface.

const keyringDeniedErr = "ERR CLUSTER KEYRING needs requirepass set on this node, or a client on the loopback interface"

var keyringOps = map[string]membership.KeyringOp{
	"list": membership.KeyList, "install": membership.KeyInstall,
	"use": membership.KeyUse, "remove": membership.KeyRemove,
}

func clusterKeyring(c *conn, args [][]byte) {
	op, ok := keyringOps[strings.ToLower(string(args[2]))]
	switch {
	case !ok:
		c.replyErrString(fmt.Sprintf("ERR unknown subcommand '%.128s'. Try CLUSTER HELP.", args[2]))
	case op == membership.KeyList && len(args) != 3 || op != membership.KeyList && len(args) != 4:
		c.replyErrString(arityErr("cluster|keyring"))
	case *c.srv.live.requirePass.Load() == "" && !isLoopback(c.nc.RemoteAddr()):
		c.replyErrString(keyringDeniedErr)
	default:
		runKeyring(c, op, args)
	}
}

func runKeyring(c *conn, op membership.KeyringOp, args [][]byte) {
	key := ""
	if len(args) == 4 {
		key = string(args[3])
	}
	res, err := c.srv.cs.Load().cl.Membership().Keyring(op, key)
	if err != nil {
		c.replyErrString("ERR keyring: " + keyringFailure(res, err))
		return
	}
	if op != membership.KeyList {
		c.w.WriteSimple("OK")
		return
	}
	// One entry per key: key, members holding it, members using it as
	// primary.
	keys := make([]string, 0, len(res.Keys))
	for k := range res.Keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c.w.WriteArray(len(keys))
	for _, k := range keys {
		c.w.WriteArray(3)
		c.w.WriteBulkString(k)
		c.w.WriteInt(int64(res.Keys[k]))
		c.w.WriteInt(int64(res.Primary[k]))
	}
}

// keyringFailure describes a failed keyring operation on one line, with
// the members' own messages.
func keyringFailure(res membership.KeyringResult, err error) string {
	var b strings.Builder
	b.WriteString(err.Error())
	names := make([]string, 0, len(res.Messages))
	for n := range res.Messages {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "; %s: %s", n, res.Messages[n])
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(b.String())
}

// isLoopback reports whether addr is a loopback IP address (or not an IP
// address at all, such as a Unix socket, which is local).
func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return !ok || ta.IP.IsLoopback()
}

func cloneKeys(keys [][]byte) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = bytes.Clone(k)
	}
	return out
}
