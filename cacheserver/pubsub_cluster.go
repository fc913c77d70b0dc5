package cacheserver

// Cluster-wide PUBLISH. Redis Cluster broadcasts a PUBLISH over its cluster
// bus so that subscribers on every node receive it; here the node that a
// client published on sends the same PUBLISH to every other ring member
// over the authenticated peer connections (peerauth.go, internal/forward).
// A PUBLISH arriving on a peer connection is delivered locally only, so a
// message crosses the cluster once and never loops.
//
// The client's reply does not wait for the peers: it counts the receivers
// on the node asked, as Redis Cluster's does. The copies a client publishes
// travel to each peer on one connection (chosen by the client's id), so
// they arrive, and are delivered, in the order they were published. A
// peer that cannot be reached misses the message (pub/sub is at most once,
// as in Redis).

// publishToPeers sends a client's PUBLISH (args) to every other member.
func (s *Server) publishToPeers(c *conn, args [][]byte) {
	st := s.cs.Load()
	if st == nil || !st.ready() {
		return
	}
	pool := st.peers[2]
	for _, m := range st.cl.Ring().Members() {
		if m.Name != st.self {
			pool.Send(m.Addr, uint64(c.id), args) // reply not awaited
		}
	}
}
