package cacheserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/internal/store"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("cacheserver: server closed")

// Server is one ringcache node speaking RESP. Create it with New, run it with
// Serve or ListenAndServe, stop it with Shutdown or Close.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	cmds  *commandTable
	start time.Time

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	wg        sync.WaitGroup // connection and listener goroutines
	bgWG      sync.WaitGroup // background goroutines (ops sampler, memory releaser)
	stop      chan struct{}
	closeOnce sync.Once

	inShutdown atomic.Bool
	// testHookLocal, set by tests only (export_test.go), runs just before
	// a command routed here runs.
	testHookLocal atomic.Pointer[func(args [][]byte)]
	nextID        atomic.Int64
	live          liveConfig
	stats         serverStats
	errStats      errorStats
	watch         *watchRegistry
	track         *tracker // CLIENT TRACKING (tracking.go)
	pubsub        pubsubRegistry
	acl           *aclRegistry
	notify        *notifier      // keyspace notifications (notify.go)
	latency       latencyMonitor // LATENCY (latency.go)
	release       *memReleaser   // FLUSHALL returns freed memory to the OS (freemem.go)
	leases        *leaseTable    // LEASEGET/LEASESET (lease.go)
	relay         *removeRelay   // expiries and evictions to the replicas (repl_cmds.go)
	cmem          clientMem      // maxmemory-clients (clientmem.go)

	clusterOnce sync.Once
	clusterErr  error
	cs          atomic.Pointer[clusterState] // set once Serve started the cluster; nil on a standalone node
	tls         *tlsState                    // nil without TLS (tls.go)

	draining  atomic.Bool  // Shutdown started: /readyz answers 503
	drainReq  drainRequest // RINGCACHE DRAIN (handoff_cmd.go)
	registry  *prometheus.Registry
	adminOnce sync.Once
	adminErr  error
	admin     atomic.Pointer[adminServer] // admin.go; nil when off or not started
}

// liveConfig holds the settings CONFIG SET may change at run time.
type liveConfig struct {
	maxClients    atomic.Int64
	idleTimeout   atomic.Int64 // nanoseconds
	maxBulkLen    atomic.Int64
	maxQueryBuf   atomic.Int64 // client-query-buffer-limit
	requirePass   atomic.Pointer[string]
	protectedMode atomic.Bool
}

// serverStats are the server's counters for INFO.
type serverStats struct {
	connsReceived atomic.Int64
	commands      atomic.Int64
	rejected      atomic.Int64
	connected     atomic.Int64
	netIn, netOut atomic.Int64
	opsPerSec     atomic.Int64
	protoErrors   atomic.Int64
}

// New validates a copy of cfg and returns a Server with its own store. A nil
// logger discards logs. New starts two background goroutines (the
// instantaneous_ops_per_sec sampler and the FLUSHALL memory releaser); Close
// or Shutdown stops them, so call one of them even if Serve never ran.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	c, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	trk := newTracker()
	watch := &watchRegistry{}
	ntf := &notifier{}
	relay := &removeRelay{} // replication (repl_cmds.go)
	c.Store.OnRemove = relay.hook(ntf.onRemoveHook(trk.onRemoveHook(watch.onRemoveHook(c.Store.OnRemove))))
	st, err := store.New(c.Store)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: c, log: logger, store: st, cmds: newCommandTable(), start: time.Now(), track: trk, watch: watch,
		leases: newLeaseTable(c.Leases), relay: relay,
		listeners: make(map[net.Listener]struct{}), conns: make(map[*conn]struct{}),
		stop: make(chan struct{}), release: newMemReleaser(), notify: ntf}
	ntf.pubsub = &s.pubsub
	if s.tls, err = newTLSState(c.TLS, logger); err != nil {
		_ = st.Close()
		return nil, err
	}
	if s.registry, err = newRegistry(s); err != nil {
		_ = st.Close()
		return nil, err
	}
	s.live.maxClients.Store(int64(c.MaxClients))
	s.live.idleTimeout.Store(int64(c.IdleTimeout))
	s.live.maxBulkLen.Store(c.MaxBulkLen)
	s.live.maxQueryBuf.Store(resp.DefaultMaxQueryBuffer)
	pass := c.RequirePass
	s.live.requirePass.Store(&pass)
	if s.acl, err = newACLRegistry(s.cmds.catalog, pass, c.ACLFile); err != nil {
		_ = st.Close()
		return nil, err
	}
	s.live.protectedMode.Store(c.ProtectedMode)
	s.bgWG.Add(2)
	go s.sampleOps()
	go s.release.loop(s.stop, s.bgWG.Done)
	return s, nil
}

// Addr returns the address of the first listener, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		return ln.Addr()
	}
	return nil
}

// ListenAndServe listens on cfg.Addr and serves until Shutdown or Close.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln until Shutdown or Close, then returns
// ErrServerClosed. It closes ln on return.
func (s *Server) Serve(ln net.Listener) error {
	if !s.trackListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	if err := s.startAdmin(); err != nil {
		s.untrackListener(ln)
		return err
	}
	if s.startsCluster(ln) { // tls.go
		s.clusterOnce.Do(func() { s.clusterErr = s.startCluster(ln) })
		if s.clusterErr != nil {
			s.untrackListener(ln)
			return s.clusterErr
		}
	}
	defer s.untrackListener(ln)
	backoff := time.Duration(0)
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept error", "err", err, "retry_in", backoff)
				if !s.pause(backoff) {
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		backoff = 0
		s.accept(nc)
	}
}

// isTemporary reports accept errors worth retrying (EMFILE and the like).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// pause waits d or until the server stops; it reports whether to go on.
func (s *Server) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
	ln.Close()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// accept registers a new connection and starts its goroutine, or rejects it
// when maxclients is reached.
func (s *Server) accept(nc net.Conn) {
	s.stats.connsReceived.Add(1)
	verdict := s.protectedCheck(nc.RemoteAddr()) // protected.go
	if verdict == protectedDeny {
		s.deny(nc)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if int64(len(s.conns)) >= s.live.maxClients.Load() {
		s.mu.Unlock()
		s.reject(nc)
		return
	}
	c := newConn(s, nc)
	if verdict == protectedPeerOnly {
		c.protectedOnly = true
		c.setAuthed(false)
	}
	s.conns[c] = struct{}{}
	s.stats.connected.Store(int64(len(s.conns)))
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serve()
}

// reject answers maxclients' error and closes nc.
func (s *Server) reject(nc net.Conn) {
	s.stats.rejected.Add(1)
	_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = nc.Write([]byte("-" + maxClientsErr + "\r\n"))
	nc.Close()
}

// removeConn forgets a finished connection.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.stats.connected.Store(int64(len(s.conns)))
	s.mu.Unlock()
	s.watch.unwatchAll(c)
	s.wg.Done()
}

// Shutdown first marks the node not ready (/readyz answers 503), leaves
// the cluster (peers record the node as left, not failed, and stop routing
// to it), then stops accepting, lets every connection finish the commands it has
// received and flush their replies, closes the connections, waits for every
// goroutine and closes the store. When ctx ends first, the remaining
// connections are closed forcibly and ctx's error is returned (after the
// goroutines have been joined).
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.clusterOnce.Do(func() {}) // no cluster start after this point
	s.leaveCluster(ctx)
	s.inShutdown.Store(true)
	s.closeListeners()
	for _, c := range s.connList() {
		c.wake()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.closeConns()
		<-done
	}
	return errors.Join(err, s.finish())
}

// Close closes the listeners and every connection at once, waits for the
// goroutines and closes the store. It is safe to call twice.
func (s *Server) Close() error {
	s.clusterOnce.Do(func() {})
	s.inShutdown.Store(true)
	s.closeListeners()
	s.closeConns()
	s.wg.Wait()
	return s.finish()
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	s.closeOnce.Do(func() { close(s.stop) })
}

func (s *Server) closeConns() {
	for _, c := range s.connList() {
		c.nc.Close()
	}
}

// finish stops background work and closes the store.
func (s *Server) finish() error {
	s.bgWG.Wait()
	return errors.Join(s.stopAdmin(), s.stopCluster(), s.store.Close())
}

func (s *Server) connList() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// sampleOps computes instantaneous_ops_per_sec every 100ms (Redis's hz).
func (s *Server) sampleOps() {
	defer s.bgWG.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var samples [16]int64
	i, last, lastT := 0, s.stats.commands.Load(), time.Now()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			n := s.stats.commands.Load()
			samples[i%len(samples)] = int64(float64(n-last) / now.Sub(lastT).Seconds())
			i++
			last, lastT = n, now
			var sum int64
			for _, v := range samples[:min(i, len(samples))] {
				sum += v
			}
			s.stats.opsPerSec.Store(sum / int64(min(i, len(samples))))
		}
	}
}

// sortedConns returns the connections ordered by id (CLIENT LIST).
func (s *Server) sortedConns() []*conn {
	out := s.connList()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
