package cacheserver

import "time"

// Waiting instead of refusing (issue 13: no client error during a planned
// membership change). A node that just joined is the owner in its peers'
// new ring a few hundred ms before it serves: it answers CLUSTERDOWN until
// it applied its own ring with peers and holds its lease. And a node that
// gained slots answers TRYAGAIN while a key's previous owner does not
// answer its read-through yet (the fence: the previous owner's own ring
// switch, and the end of the commands it routed with its older ring:
// handoff.go keptFor, inflight.go). A client connected to the node would
// retry; a command a peer forwarded has its reply passed on verbatim to a
// client that may not. So the node waits, for at most peerWait, until it
// can run the command: for readiness on a peer's forwarding connection
// only (a client connected to a joining node still gets CLUSTERDOWN at
// once), for the fence on every connection. The wait happens on the
// connection's own goroutine, before it reads the next command: the
// pipeline keeps its order (a later write of the same key cannot overtake
// this one), which a retry by the forwarding node could not guarantee.
// Past peerWait the refusal is sent as before, and the connection's next
// commands are refused without waiting for the next peerWait (a node that
// stays down does not hold each command of a pipeline for a second).

// peerWait bounds how long one command waits for this node to be ready
// (a forwarded command) or for its keys' previous owner to answer; well
// below the forwarding pools' command timeout (forward.Config.Timeout, 2 s).
const peerWait = time.Second

// awaitReady reports whether the node is ready to serve keys, waiting up
// to peerWait on a peer's connection.
func (c *conn) awaitReady(st *clusterState) bool {
	return st.ready() || c.peer && c.waitFor(st, st.ready)
}

// resolveKeys is handoff.resolveKeys for the keys in c.keyBuf, retried for
// up to peerWait while the previous owner is fenced. This wait is on every
// connection, not only a peer's: a node that gains slots (from a node that
// leaves) serves its own clients' keys of them too, and the wait is as
// short as the fence (the previous owner's ring switch and its in-flight
// commands). A command waiting here keeps the ring generation it was
// routed with (inflight.go), so a ring change meanwhile holds this node's
// own fence until it has run.
func (c *conn) resolveKeys(st *clusterState) bool {
	ok := func() bool { return st.ho.resolveKeys(c.keyBuf) }
	return ok() || c.waitFor(st, ok)
}

// waitFor calls cond with a growing pause (1 ms to 50 ms) until it holds,
// peerWait passes or the cluster stops; it reports the last result. It
// does not wait within peerWait of a wait that ran out on this connection.
func (c *conn) waitFor(st *clusterState, cond func() bool) bool {
	if time.Since(c.waitGaveUp) < peerWait {
		return false
	}
	deadline := time.Now().Add(peerWait)
	for pause := time.Millisecond; c.pause(st, deadline, &pause); {
		if cond() {
			return true
		}
	}
	c.waitGaveUp = time.Now()
	c.srv.log.Debug("a command waited in vain; refused", "client", c.addr, "peer", c.peer, "waited", peerWait)
	return false
}
