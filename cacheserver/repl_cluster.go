package cacheserver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ringcache/ringcache/ring"
)

// Replicas in the CLUSTER replies. Each slot has its own replica set
// (successive owners), so a member's slots are replicated by several
// members: CLUSTER SLOTS lists, per range of slots with the same owner and
// replicas, the owner then its replicas (what Redis Cluster clients read
// replicas from: go-redis ReadOnly, redis-cli); CLUSTER REPLICAS <id> lists
// the members that replicate some of that node's slots, in CLUSTER NODES
// form. CLUSTER NODES and SHARDS still show every member as a primary of
// its own slots.

// clusterSlotsReplicas renders CLUSTER SLOTS with replicas:
// [start, end, [owner], [replica]...] per range.
func clusterSlotsReplicas(c *conn, v *ringView) {
	type span struct {
		start, end int
		nodes      []*ring.Member
	}
	var spans []span
	for s := range ring.SlotCount {
		nodes := make([]*ring.Member, 0, 1+v.r.ReplicaCount())
		for k := 0; k <= v.r.ReplicaCount(); k++ {
			nodes = append(nodes, v.r.Replica(s, k))
		}
		if n := len(spans); n > 0 && spans[n-1].end == s-1 && slices.Equal(spans[n-1].nodes, nodes) {
			spans[n-1].end = s
			continue
		}
		spans = append(spans, span{start: s, end: s, nodes: nodes})
	}
	c.w.WriteArray(len(spans))
	for _, sp := range spans {
		c.w.WriteArray(2 + len(sp.nodes))
		c.w.WriteInt(int64(sp.start))
		c.w.WriteInt(int64(sp.end))
		for _, m := range sp.nodes {
			host, port := splitAddr(m.Addr)
			c.w.WriteArray(4)
			c.w.WriteBulkString(host)
			c.w.WriteInt(port)
			c.w.WriteBulkString(v.ids[m.Name])
			c.w.WriteMap(0)
		}
	}
}

// clusterReplicas is CLUSTER REPLICAS <node-id>: the members replicating
// slots of that node, one CLUSTER NODES line each, flagged slave of it.
func clusterReplicas(c *conn, args [][]byte) {
	st := c.srv.cs.Load()
	v := st.view()
	primary := ""
	for name, id := range v.ids {
		if strings.EqualFold(id, string(args[2])) {
			primary = name
		}
	}
	if primary == "" {
		c.replyErrString("ERR Unknown node " + string(args[2]))
		return
	}
	seen := map[string]bool{}
	for s := range ring.SlotCount {
		if v.r.Owns(primary, s) {
			for k := 1; k <= v.r.ReplicaCount(); k++ {
				seen[v.r.Replica(s, k).Name] = true
			}
		}
	}
	var lines []string
	for i, m := range v.r.Members() {
		if !seen[m.Name] {
			continue
		}
		flags := "slave"
		if m.Name == st.self {
			flags = "myself,slave"
		}
		lines = append(lines, fmt.Sprintf("%s %s@0 %s %s 0 0 %d connected", v.ids[m.Name], m.Addr, flags, v.ids[primary], i+1))
	}
	c.w.WriteArray(len(lines))
	for _, l := range lines {
		c.w.WriteBulkString(l)
	}
}
