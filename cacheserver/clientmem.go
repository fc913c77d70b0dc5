package cacheserver

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Client eviction (Redis 7.0's maxmemory-clients).
//
// Every connection accounts the memory it holds in two parts: what its own
// loop holds (the read buffer, the reply buffers, a fixed base for the conn
// and its goroutine), updated by the loop after each socket read and around
// each flush; and what other goroutines queue for it (the push outbox and
// the bytes a drainer is writing), updated under the outbox lock. Each
// update moves the server-wide total by its delta. When the total reaches
// the limit, the biggest evictable connections are closed until it is below
// it again (Redis's evictClients): CLIENT NO-EVICT ones and peer nodes'
// forwarding connections are not counted (Redis counts normal and pub/sub
// clients only; peerauth.go releases them). An evicted
// connection's memory leaves the total at once, so one growth never evicts
// more than needed while the closed connection's goroutine winds down.

// minClientEvictionLimit is Redis's floor for maxmemory-clients (128 KiB),
// so a small setting cannot cut every client off.
const minClientEvictionLimit = 128 << 10

// connBaseMem is the fixed memory of a connection: the conn itself and its
// goroutine's smallest stack.
const connBaseMem = int64(unsafe.Sizeof(conn{})) + 8<<10

// clientMem is the server's client memory accounting.
type clientMem struct {
	limit   atomic.Int64 // maxmemory-clients: bytes (> 0), -percent of maxmemory (< 0), 0 off
	total   atomic.Int64 // bytes held by every connection
	evicted atomic.Int64 // connections evicted (INFO evicted_clients)
	mu      sync.Mutex   // one eviction pass at a time
}

// connMem is one connection's share of clientMem.
type connMem struct {
	mu   sync.Mutex
	loop int64        // held by the connection's loop
	push int64        // queued by other goroutines (outbox, drainer)
	gone bool         // evicted or closed: no longer counted
	qbuf atomic.Int64 // unread query bytes (CLIENT LIST qbuf)
	rbuf atomic.Int64 // read buffer size (qbuf + qbuf-free)
	omem atomic.Int64 // reply bytes not yet written (loop and outbox)
}

// tot returns the connection's counted memory.
func (m *connMem) tot() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loop + m.push
}

// set moves one part to v and the server's total by the difference.
func (m *connMem) set(total *atomic.Int64, part *int64, v int64) {
	m.mu.Lock()
	if !m.gone && *part != v {
		total.Add(v - *part)
	}
	*part = v
	m.mu.Unlock()
}

// release takes the connection out of the total; it reports false when it
// was already out.
func (m *connMem) release(total *atomic.Int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone {
		return false
	}
	m.gone = true
	total.Add(-(m.loop + m.push))
	return true
}

// noteLoopMem updates the loop's part of the connection's memory (read
// buffer, reply buffers; justRead bytes were just read into the buffer and
// are not counted by the reader yet) and evicts clients when the total is over the
// limit. Called on the connection's goroutine.
func (c *conn) noteLoopMem(justRead int) {
	qbuf := c.r.Buffered() + justRead
	replies := c.out.Buffered()
	v := connBaseMem + int64(c.r.BufferSize()) + int64(c.out.Cap())
	if c.capture != nil {
		v += int64(c.capture.Cap())
		replies += c.capture.Buffered()
	}
	c.mem.qbuf.Store(int64(qbuf))
	c.mem.rbuf.Store(int64(c.r.BufferSize()))
	c.mem.omem.Store(int64(replies) + c.mem.pushBytes())
	c.mem.set(&c.srv.cmem.total, &c.mem.loop, v)
	c.srv.evictClients()
}

// pushBytes is the outbox's part, read without the outbox lock.
func (m *connMem) pushBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.push
}

// notePushMem sets the outbox's part (caller holds the outbox lock).
func (c *conn) notePushMem(n int) {
	c.mem.set(&c.srv.cmem.total, &c.mem.push, int64(n))
}

// releaseMem takes a closing connection out of the accounting.
func (c *conn) releaseMem() { c.mem.release(&c.srv.cmem.total) }

// clientEvictionLimit is Redis's getClientEvictionLimit: the limit in
// bytes, 0 when off (a percentage needs maxmemory), never under 128 KiB.
func (s *Server) clientEvictionLimit() int64 {
	l := s.cmem.limit.Load()
	switch {
	case l > 0:
	case l < 0 && s.store.Stats().MaxMemory > 0:
		l = int64(float64(s.store.Stats().MaxMemory) * float64(-l) / 100)
	default:
		return 0
	}
	return max(l, minClientEvictionLimit)
}

// evictClients closes the biggest evictable connections while the clients'
// total memory is at or over the limit. A pass already running elsewhere
// does the work. Locks taken: cmem.mu (try), then s.mu and each connMem.mu,
// both leaves, so it may be called under an outbox or registry lock.
func (s *Server) evictClients() {
	if s.cmem.limit.Load() == 0 {
		return
	}
	limit := s.clientEvictionLimit()
	if limit == 0 || s.cmem.total.Load() < limit || !s.cmem.mu.TryLock() {
		return
	}
	defer s.cmem.mu.Unlock()
	type sized struct {
		c   *conn
		mem int64
	}
	var cands []sized
	for _, o := range s.connList() {
		if !o.noEvict.Load() {
			cands = append(cands, sized{o, o.mem.tot()})
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].mem > cands[j].mem })
	for _, cd := range cands {
		if s.cmem.total.Load() < limit {
			return
		}
		if !cd.c.mem.release(&s.cmem.total) {
			continue
		}
		s.cmem.evicted.Add(1)
		s.log.Info("evicting client", "id", cd.c.id, "addr", cd.c.addr, "tot-mem", cd.mem)
		cd.c.kill()
	}
	if s.cmem.total.Load() >= limit {
		s.log.Warn("over client maxmemory after evicting all evictable clients")
	}
}

// maxmemoryClientsParam is CONFIG GET/SET maxmemory-clients, with Redis's
// forms and errors: bytes with a unit, or a percentage of maxmemory.
var maxmemoryClientsParam = configParam{
	get: func(s *Server) string {
		l := s.cmem.limit.Load()
		if l < 0 {
			return strconv.FormatInt(-l, 10) + "%"
		}
		return strconv.FormatInt(l, 10)
	},
	set: func(s *Server, v string) error {
		n, err := parseMemoryOrPercent(v)
		if err != nil {
			return err
		}
		s.cmem.limit.Store(n)
		s.evictClients()
		return nil
	}}

// parseMemoryOrPercent parses a memory value or "N%" (returned as -N).
func parseMemoryOrPercent(v string) (int64, error) {
	bad := errors.New("argument must be a memory or percent value")
	if p, ok := strings.CutSuffix(v, "%"); ok {
		n, err := strconv.ParseUint(p, 10, 63)
		if err != nil || p == "" || p[0] == '+' {
			return 0, bad
		}
		if n > 100 {
			return 0, errors.New("percentage argument must be less or equal to 100")
		}
		return -int64(n), nil
	}
	if v == "" {
		return 0, nil
	}
	if strings.TrimSpace(v) != v || strings.HasPrefix(v, "+") {
		return 0, bad
	}
	n, err := ParseMemory(v)
	if err != nil {
		return 0, bad
	}
	return n, nil
}
