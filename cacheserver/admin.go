package cacheserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The admin HTTP server (Config.AdminAddr) serves
//
//	/livez          200 while the process serves HTTP at all
//	/readyz         200 when the node should get traffic, else 503 and why
//	/metrics        Prometheus metrics (metrics.go)
//	/debug/pprof/   the Go profiler, only with Config.Pprof
//
// Serve starts it (before the node joins its cluster, so /readyz can say
// it is not ready yet); Shutdown keeps it up while draining, so /readyz
// answers 503 during the drain, and stops it at the end, as Close does.

// adminStopTimeout bounds the graceful stop of the admin server.
const adminStopTimeout = time.Second

// adminServer is a running admin HTTP server.
type adminServer struct {
	hs   *http.Server
	addr net.Addr
	done chan error // Serve's result
	once sync.Once
}

// AdminHandler returns the admin endpoints as an http.Handler, for
// programs that embed a Server and run their own HTTP server.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, why := s.Ready(); !ok {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Registry returns the Server's Prometheus registry (what /metrics
// serves); programs that embed a Server may register their own collectors.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Ready reports whether the node should receive traffic, and if not why:
// it is not ready before Serve, before it joined its cluster (when Join
// was configured), while it is fenced (no majority lease: it answers
// CLUSTERDOWN), while its ring does not contain it, and from the start of
// Shutdown or Close.
func (s *Server) Ready() (bool, string) {
	switch {
	case s.draining.Load() || s.isClosed():
		return false, "draining"
	case s.Addr() == nil:
		return false, "not serving"
	case s.cfg.Cluster == nil:
		return true, ""
	}
	st := s.cs.Load()
	switch {
	case st == nil:
		return false, "cluster starting"
	case !st.joined():
		return false, "not joined"
	case !st.ready():
		return false, "fenced: no majority lease" // answers CLUSTERDOWN (fence.go)
	case st.ho.warming():
		return false, "warming: copying slots from their previous owners" // handoff.go
	}
	if _, ok := st.view().r.Member(st.self); !ok {
		return false, "not in the ring"
	}
	return true, ""
}

// AdminAddr returns the admin server's address, or nil when it is off or
// not started.
func (s *Server) AdminAddr() net.Addr {
	if a := s.admin.Load(); a != nil {
		return a.addr
	}
	return nil
}

// startAdmin starts the admin server once, when Config.AdminAddr is set.
func (s *Server) startAdmin() error {
	s.adminOnce.Do(func() {
		if s.cfg.AdminAddr == "" {
			return
		}
		ln, err := net.Listen("tcp", s.cfg.AdminAddr)
		if err != nil {
			s.adminErr = fmt.Errorf("cacheserver: admin server: %w", err)
			return
		}
		a := &adminServer{addr: ln.Addr(), done: make(chan error, 1),
			hs: &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}}
		go func() { a.done <- a.hs.Serve(ln) }()
		s.admin.Store(a)
		s.log.Info("admin server listening", "addr", a.addr.String(), "pprof", s.cfg.Pprof)
	})
	return s.adminErr
}

// stopAdmin stops the admin server, if any, and waits for it. Safe to
// call twice.
func (s *Server) stopAdmin() error {
	s.adminOnce.Do(func() {}) // no admin start after this point
	a := s.admin.Load()
	if a == nil {
		return nil
	}
	var err error
	a.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminStopTimeout)
		defer cancel()
		if a.hs.Shutdown(ctx) != nil {
			_ = a.hs.Close()
		}
		if serr := <-a.done; !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
	})
	return err
}
