package cacheserver

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/ringcache/ringcache/internal/rstrconv"
	"github.com/ringcache/ringcache/ring"
)

// CLUSTER, READONLY, READWRITE, ASKING and RINGCACHE: the cluster commands,
// shaped as Redis 7.0 shapes them so Redis Cluster clients (redis-cli -c,
// redis-benchmark --cluster, go-redis ClusterClient) work unchanged. Every
// member is the primary of its slots, and with --replicas a replica of
// others' (repl_cluster.go); node ids are the SHA-1 of member names, so
// they survive restarts.

const clusterDisabledErr = "ERR This instance has cluster support disabled"

func clusterCommands() []*command {
	cl := func(name string, arity int, flags []string, since, summary string, h func(*conn, [][]byte)) *command {
		return &command{name: name, arity: arity, flags: flags, acl: []string{"@slow"},
			group: "cluster", since: since, summary: summary, handler: h}
	}
	return []*command{
		withSubs(clusterSubcommands, clusterAdminSubs, // acl_table.go
			cl("cluster", -2, nil, "3.0.0", "A container for Redis Cluster commands.", clusterCmd)),
		cl("readonly", 1, []string{"loading", "stale", "fast"}, "3.0.0",
			"Enables read-only queries for a connection to a Redis Cluster replica node.", clusterFlagCmd),
		cl("readwrite", 1, []string{"loading", "stale", "fast"}, "3.0.0",
			"Enables read-write queries for a connection to a Redis Cluster replica node.", clusterFlagCmd),
		cl("asking", 1, []string{"fast"}, "3.0.0",
			"Signals that a cluster client is following an -ASK redirect.", clusterFlagCmd),
		cl("ringcache", -2, []string{"loading", "stale", "fast", "no-auth"}, "0.1.0",
			"ringcache node commands (CHALLENGE and PEER authenticate a peer's forwarding connection).", ringcacheCmd),
	}
}

var clusterSubcommands = map[string]subcommand{
	"info":            {2, clusterInfo},
	"myid":            {2, func(c *conn, _ [][]byte) { c.w.WriteBulkString(nodeID(c.srv.cs.Load().self)) }},
	"nodes":           {2, clusterNodes},
	"slots":           {2, clusterSlots},
	"shards":          {2, clusterShards},
	"keyslot":         {3, func(c *conn, a [][]byte) { c.w.WriteInt(int64(ring.KeySlotBytes(a[2]))) }},
	"countkeysinslot": {3, clusterCountKeys},
	"getkeysinslot":   {4, clusterGetKeys},
	"help":            {2, clusterHelp},
	"keyring":         {-3, clusterKeyring}, // keyring.go
	"replicas":        {3, clusterReplicas}, // repl_cluster.go
	"slaves":          {3, clusterReplicas},
}

func clusterCmd(c *conn, args [][]byte) {
	if c.srv.cs.Load() == nil {
		c.replyErrString(clusterDisabledErr)
		return
	}
	c.runSubcommand("CLUSTER", clusterSubcommands, args)
}

// clusterFlagCmd is READONLY, READWRITE and ASKING: every member is a
// primary and slots never migrate live, so they only acknowledge.
func clusterFlagCmd(c *conn, args [][]byte) {
	if c.srv.cs.Load() == nil {
		c.replyErrString(clusterDisabledErr)
		return
	}
	switch strings.ToLower(string(args[0])) { // READONLY: read replicated slots here (repl_cmds.go)
	case "readonly":
		c.repl.readonly = true
	case "readwrite":
		c.repl.readonly = false
	}
	c.w.WriteSimple("OK")
}

func clusterHelp(c *conn, _ [][]byte) {
	lines := []string{
		"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot> on this node.",
		"GETKEYSINSLOT <slot> <count>", "    Return key names stored by this node in a slot.",
		"INFO", "    Return information about the cluster.",
		"KEYSLOT <key>", "    Return the hash slot for <key>.",
		"MYID", "    Return the node id.",
		"NODES", "    Return cluster configuration seen by node.",
		"SHARDS", "    Return information about slot range mappings and the nodes associated with them.",
		"SLOTS", "    Return information about slots range mappings.",
		"REPLICAS <node-id>", "    Return the nodes that replicate slots of <node-id>.",
		"HELP", "    Print this help.",
	}
	c.w.WriteArray(len(lines))
	for _, l := range lines {
		c.w.WriteSimple(l)
	}
}

func clusterInfo(c *conn, _ [][]byte) {
	st := c.srv.cs.Load()
	v := st.view()
	state := "ok"
	if !st.ready() {
		state = "fail"
	}
	var b strings.Builder
	field(&b, "cluster_state", state)
	field(&b, "cluster_slots_assigned", ring.SlotCount)
	field(&b, "cluster_slots_ok", ring.SlotCount)
	field(&b, "cluster_slots_pfail", 0)
	field(&b, "cluster_slots_fail", 0)
	field(&b, "cluster_known_nodes", v.r.Len())
	field(&b, "cluster_size", v.r.Len())
	field(&b, "cluster_current_epoch", v.r.Len())
	field(&b, "cluster_my_epoch", myEpoch(v.r, st.self))
	field(&b, "cluster_stats_messages_sent", 0)
	field(&b, "cluster_stats_messages_received", 0)
	field(&b, "total_cluster_links_buffer_limit_exceeded", 0)
	c.w.WriteVerbatim("txt", b.String())
}

// myEpoch is the member's 1-based position in the ring's sorted members,
// the config epoch CLUSTER NODES reports for it.
func myEpoch(r *ring.Ring, name string) int {
	for i, m := range r.Members() {
		if m.Name == name {
			return i + 1
		}
	}
	return 0
}

// clusterNodes renders CLUSTER NODES: one line per member,
// "<id> <ip:port@cport> <flags> - 0 0 <epoch> connected <ranges...>".
func clusterNodes(c *conn, _ [][]byte) {
	st := c.srv.cs.Load()
	v := st.view()
	var b strings.Builder
	for i, sh := range v.r.Shards() {
		flags := "master"
		if sh.Member.Name == st.self {
			flags = "myself,master"
		}
		fmt.Fprintf(&b, "%s %s@0 %s - 0 0 %d connected", v.ids[sh.Member.Name], sh.Member.Addr, flags, i+1)
		for _, rg := range sh.Ranges {
			if rg.Start == rg.End {
				fmt.Fprintf(&b, " %d", rg.Start)
			} else {
				fmt.Fprintf(&b, " %d-%d", rg.Start, rg.End)
			}
		}
		b.WriteByte('\n')
	}
	if v.r.ReplicaCount() > 0 {
		for _, l := range replicaNodeLines(v) { // repl_cluster.go
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	c.w.WriteVerbatim("txt", b.String())
}

// splitAddr splits a member's RESP address into host and port.
func splitAddr(addr string) (string, int64) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	port, _ := strconv.ParseInt(p, 10, 64)
	return host, port
}

// clusterSlots renders CLUSTER SLOTS: [start, end, [host, port, id, {}]]
// per range.
func clusterSlots(c *conn, _ [][]byte) {
	v := c.srv.cs.Load().view()
	if v.r.ReplicaCount() > 0 {
		clusterSlotsReplicas(c, v) // repl_cluster.go
		return
	}
	ranges := v.r.SlotRanges()
	c.w.WriteArray(len(ranges))
	for _, rg := range ranges {
		host, port := splitAddr(rg.Owner.Addr)
		c.w.WriteArray(3)
		c.w.WriteInt(int64(rg.Start))
		c.w.WriteInt(int64(rg.End))
		c.w.WriteArray(4)
		c.w.WriteBulkString(host)
		c.w.WriteInt(port)
		c.w.WriteBulkString(v.ids[rg.Owner.Name])
		c.w.WriteMap(0)
	}
}

// clusterShards renders CLUSTER SHARDS: per member, its slot ranges as a
// flat list of integers and itself as the only node (with replicas:
// repl_cluster.go).
func clusterShards(c *conn, _ [][]byte) {
	v := c.srv.cs.Load().view()
	if v.r.ReplicaCount() > 0 {
		clusterShardsReplicas(c, v)
		return
	}
	shards := v.r.Shards()
	c.w.WriteArray(len(shards))
	for _, sh := range shards {
		c.w.WriteMap(2)
		c.w.WriteBulkString("slots")
		c.w.WriteArray(2 * len(sh.Ranges))
		for _, rg := range sh.Ranges {
			c.w.WriteInt(int64(rg.Start))
			c.w.WriteInt(int64(rg.End))
		}
		c.w.WriteBulkString("nodes")
		c.w.WriteArray(1)
		writeShardNode(c, v, &sh.Member, "master", 0, "online")
	}
}

// parseSlotArg parses a slot argument with Redis's errors.
func (c *conn) parseSlotArg(a []byte, bad string) (int, bool) {
	n, ok := rstrconv.ParseInt(a)
	if !ok {
		c.replyErrString(notIntegerErr)
		return 0, false
	}
	if n < 0 || n >= ring.SlotCount {
		c.replyErrString(bad)
		return 0, false
	}
	return int(n), true
}

func clusterCountKeys(c *conn, args [][]byte) {
	slot, ok := c.parseSlotArg(args[2], "ERR Invalid slot")
	if ok {
		c.w.WriteInt(int64(c.srv.store.CountKeysInSlot(slot)))
	}
}

func clusterGetKeys(c *conn, args [][]byte) {
	const bad = "ERR Invalid slot or number of keys"
	slot, ok := c.parseSlotArg(args[2], bad)
	if !ok {
		return
	}
	n, ok := rstrconv.ParseInt(args[3])
	if !ok {
		c.replyErrString(notIntegerErr)
		return
	}
	if n < 0 {
		c.replyErrString(bad)
		return
	}
	var keys [][]byte
	for cur := uint64(0); int64(len(keys)) < n; {
		keys, cur = c.srv.store.SlotKeys(slot, cur, int(min(n-int64(len(keys)), 1024)), keys)
		if cur == 0 {
			break
		}
	}
	keys = keys[:min(int64(len(keys)), n)]
	c.w.WriteArray(len(keys))
	for _, k := range keys {
		c.w.WriteBulk(k)
	}
}
