package cluster

import (
	"sync"

	"github.com/ringcache/ringcache/internal/membership"
)

// Exclusion: a member proven dead before gossip's failure detection (the
// server's evidence: its RESP port refuses connections, confirmed by a
// majority) is left out of the ring at once, so its slots move to their
// replicas without waiting for serf. The exclusion ends when the server
// readmits the member (its port accepts connections again: restarted),
// when gossip advertises it at another RESP address (restarted
// elsewhere), or when gossip forgets it.

// exclusions are the members left out of the ring, by name, with the RESP
// address they were excluded at.
type exclusions struct {
	mu    sync.Mutex
	names map[string]string
	last  []membership.Member // the member list of the latest rebuild
	build sync.Mutex          // serialises rebuilds (gossip's and Exclude's)
}

// filter drops excluded members from ms and forgets exclusions that no
// longer apply; it records ms as the latest list.
func (x *exclusions) filter(ms []membership.Member) []membership.Member {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.last = ms
	seen := map[string]bool{}
	out := make([]membership.Member, 0, len(ms))
	for _, m := range ms {
		addr, ok := x.names[m.Name]
		if ok && addr == m.Tags[TagRESP] {
			seen[m.Name] = true
			continue
		}
		out = append(out, m)
	}
	for name := range x.names {
		if !seen[name] {
			delete(x.names, name)
		}
	}
	return out
}

// Exclude leaves the member called name, at RESP address addr, out of the
// ring and publishes the ring without it. It reports false when the
// member is not in the ring at that address, already excluded, or the
// node is leaving.
func (c *Cluster) Exclude(name, addr string) bool {
	if m, ok := c.Ring().Member(name); !ok || m.Addr != addr || name == c.Self() || c.paused.Load() || c.drain.Load() {
		return false
	}
	x := &c.excl
	x.mu.Lock()
	if x.names == nil {
		x.names = map[string]string{}
	}
	_, dup := x.names[name]
	x.names[name] = addr
	last := x.last
	x.mu.Unlock()
	if dup {
		return false
	}
	c.log.Warn("member excluded from the ring: proven dead before gossip's failure detection", "member", name, "resp", addr)
	c.rebuild(last)
	return true
}

// Readmit ends an exclusion (the member answers again) and rebuilds.
func (c *Cluster) Readmit(name string) {
	x := &c.excl
	x.mu.Lock()
	_, ok := x.names[name]
	delete(x.names, name)
	last := x.last
	x.mu.Unlock()
	if ok && !c.paused.Load() && !c.drain.Load() {
		c.log.Info("excluded member readmitted", "member", name)
		c.rebuild(last)
	}
}

// Excluded reports whether name is excluded now.
func (c *Cluster) Excluded(name string) bool {
	c.excl.mu.Lock()
	defer c.excl.mu.Unlock()
	_, ok := c.excl.names[name]
	return ok
}
