package cacheserver

import (
	"strconv"

	"github.com/ringcache/ringcache/ring"
)

// Cluster-wide PUBLISH. Redis Cluster broadcasts a PUBLISH over its cluster
// bus so that subscribers on every node receive it; here the node that a
// client published on sends the same PUBLISH to every other ring member
// over the authenticated peer connections (peerauth.go, internal/forward).
// A PUBLISH arriving on a peer connection is delivered locally only, so a
// message crosses the cluster once and never loops.
//
// The client's reply does not wait for the peers: it counts the receivers
// on the node asked, as Redis Cluster's does. Every copy this node sends
// travels to a given peer on the same connection, so the messages published
// on one node reach every subscriber in the order that node published them
// (as over Redis Cluster's bus); messages published on different nodes
// have no order between them. A
// peer that cannot be reached misses the message (pub/sub is at most once,
// as in Redis).
//
// Shard channels live on their slot's owner: when a ring change moves a
// slot to or from this node, its shard subscribers are unsubscribed from
// the slot's channels with a sunsubscribe push each, as Redis Cluster does
// when a slot leaves a node, so they resubscribe on the new owner.

// publishToPeers sends a client's PUBLISH (args) to every other member.
func (s *Server) publishToPeers(c *conn, args [][]byte) {
	st := s.cs.Load()
	if st == nil || !st.ready() {
		return
	}
	pool := st.peers[2]
	for _, m := range st.cl.Ring().Members() {
		if m.Name != st.self {
			pool.Send(m.Addr, 0, args) // one connection per peer: this node's order; reply not awaited
		}
	}
}

// dropShardSlots unsubscribes everyone from the shard channels of the slots
// marked in changed, pushing sunsubscribe <channel> <count> to each.
func (p *pubsubRegistry) dropShardSlots(changed []bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, set := range p.tables[subShard] {
		if !changed[ring.KeySlot(name)] {
			continue
		}
		for c := range set {
			p.remove(c, subShard, name)
			n := p.countLocked(c, subShard)
			resp3 := c.isResp3()
			frame := appendPushHeader(nil, resp3, 3)
			frame = appendBulk(frame, []byte("sunsubscribe"))
			frame = appendBulk(frame, []byte(name))
			frame = append(frame, ':')
			frame = append(strconv.AppendInt(frame, int64(n), 10), '\r', '\n')
			c.pushFrame(frame)
		}
	}
}
