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
// form. CLUSTER SHARDS has one shard per owner and replica set (so a
// member is the primary of several shards, and a replica in others): the
// SDK reads each slot's replica set from it. CLUSTER NODES lists every
// member once as the primary of its slots, as without replicas, then one
// line "slave <primary-id>" per member and primary it replicates slots of,
// under the member's id and address: a member is both, which Redis's
// format cannot say in one line. Parsers that skip slave lines
// (redis-benchmark) or read the first line of an id see the primaries as
// before; go-redis, redis-py and ioredis route from CLUSTER SLOTS.

// span is a run of slots with the same owner and replicas (nodes[0] the
// owner).
type span struct {
	start, end int
	nodes      []*ring.Member
}

// replicaSpans returns r's slots as runs of the same owner and replicas.
func replicaSpans(r *ring.Ring) []span {
	var spans []span
	for s := range ring.SlotCount {
		nodes := make([]*ring.Member, 0, 1+r.ReplicaCount())
		for k := 0; k <= r.ReplicaCount(); k++ {
			nodes = append(nodes, r.Replica(s, k))
		}
		if n := len(spans); n > 0 && spans[n-1].end == s-1 && slices.Equal(spans[n-1].nodes, nodes) {
			spans[n-1].end = s
			continue
		}
		spans = append(spans, span{start: s, end: s, nodes: nodes})
	}
	return spans
}

// clusterSlotsReplicas renders CLUSTER SLOTS with replicas:
// [start, end, [owner], [replica]...] per range.
func clusterSlotsReplicas(c *conn, v *ringView) {
	spans := replicaSpans(v.r)
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

// clusterShardsReplicas renders CLUSTER SHARDS with replicas: one shard per
// owner and replica set, ordered by owner name then first slot, its nodes
// the owner (role master) then the replicas (role replica).
func clusterShardsReplicas(c *conn, v *ringView) {
	type shard struct {
		nodes []*ring.Member
		spans []span
	}
	var shards []*shard
	byNodes := map[string]*shard{}
	for _, sp := range replicaSpans(v.r) {
		var key strings.Builder
		for _, m := range sp.nodes {
			key.WriteString(m.Name)
			key.WriteByte(0)
		}
		sh := byNodes[key.String()]
		if sh == nil {
			sh = &shard{nodes: sp.nodes}
			byNodes[key.String()] = sh
			shards = append(shards, sh)
		}
		sh.spans = append(sh.spans, sp)
	}
	slices.SortStableFunc(shards, func(a, b *shard) int { return strings.Compare(a.nodes[0].Name, b.nodes[0].Name) })
	st := c.srv.cs.Load()
	c.w.WriteArray(len(shards))
	for _, sh := range shards {
		c.w.WriteMap(2)
		c.w.WriteBulkString("slots")
		c.w.WriteArray(2 * len(sh.spans))
		for _, sp := range sh.spans {
			c.w.WriteInt(int64(sp.start))
			c.w.WriteInt(int64(sp.end))
		}
		c.w.WriteBulkString("nodes")
		c.w.WriteArray(len(sh.nodes))
		for i, m := range sh.nodes {
			off, health := st.shardNodeState(sh.nodes[0].Name, m.Name, i == 0)
			role := "replica"
			if i == 0 {
				role = "master"
			}
			writeShardNode(c, v, m, role, off, health)
		}
	}
}

// shardNodeState is a CLUSTER SHARDS node's replication offset and health
// as this node knows them: its own offset as a primary, and the state of
// its streams to its replicas ("loading" until a stream is online); 0 and
// "online" for the others.
func (st *clusterState) shardNodeState(primary, name string, isPrimary bool) (int64, string) {
	if st.repl == nil || primary != st.self {
		return 0, "online"
	}
	if isPrimary {
		return int64(st.repl.off.Load()), "online"
	}
	t := st.repl.target(name)
	if t == nil || !t.online.Load() {
		return 0, "loading"
	}
	return int64(t.acked.Load()), "online"
}

// writeShardNode writes one node of a CLUSTER SHARDS shard.
func writeShardNode(c *conn, v *ringView, m *ring.Member, role string, off int64, health string) {
	host, port := splitAddr(m.Addr)
	c.w.WriteMap(7)
	c.w.WriteBulkString("id")
	c.w.WriteBulkString(v.ids[m.Name])
	c.w.WriteBulkString("port")
	c.w.WriteInt(port)
	c.w.WriteBulkString("ip")
	c.w.WriteBulkString(host)
	c.w.WriteBulkString("endpoint")
	c.w.WriteBulkString(host)
	c.w.WriteBulkString("role")
	c.w.WriteBulkString(role)
	c.w.WriteBulkString("replication-offset")
	c.w.WriteInt(off)
	c.w.WriteBulkString("health")
	c.w.WriteBulkString(health)
}

// replicaNodeLines returns CLUSTER NODES' slave lines: per member (in
// ring order) and primary whose slots it replicates (in ring order).
func replicaNodeLines(v *ringView) []string {
	holds := map[[2]string]bool{}
	for s := range ring.SlotCount {
		p := v.r.SlotOwner(s).Name
		for k := 1; k <= v.r.ReplicaCount(); k++ {
			holds[[2]string{v.r.Replica(s, k).Name, p}] = true
		}
	}
	var lines []string
	for i, m := range v.r.Members() {
		for _, p := range v.r.Members() {
			if holds[[2]string{m.Name, p.Name}] {
				lines = append(lines, fmt.Sprintf("%s %s@0 slave %s 0 0 %d connected", v.ids[m.Name], m.Addr, v.ids[p.Name], i+1))
			}
		}
	}
	return lines
}
