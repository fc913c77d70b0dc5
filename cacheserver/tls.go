package cacheserver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// TLS, as Redis 6+ offers it: a TLS listener next to the plain one
// (Server.ServeTLS), optional client certificates (tls-auth-clients), and
// TLS on the links between nodes (tls-cluster), where each node presents
// its own certificate as a client certificate and checks its peer's
// against the CA. Certificates are reloaded without a restart: every
// handshake checks, at most once per second, whether the files changed
// (size or modification time), and Server.ReloadTLS reloads at once (the
// command reloads on SIGHUP). A reload that fails keeps the current
// certificates and logs why. Established connections keep their session.

// TLSConfig configures TLS (Config.TLS). Zero value: no TLS.
type TLSConfig struct {
	// Addr is where the command listens for TLS clients (Redis tls-port);
	// empty: no TLS listener. Server.ServeTLS serves any listener.
	Addr string
	// CertFile and KeyFile are the node's PEM certificate (chain) and key,
	// presented to clients and, with Cluster, to peers. Required for TLS.
	CertFile, KeyFile string
	// CAFile holds the PEM CA certificates that client certificates (and
	// peers' certificates) must chain to. Required when AuthClients is not
	// "no" or Cluster is set.
	CAFile string
	// AuthClients is Redis's tls-auth-clients: "yes" (default, also for
	// empty) requires a
	// client certificate, "optional" verifies one if sent, "no" asks none.
	AuthClients string
	// Cluster puts the links between nodes on TLS: the node advertises its
	// TLS listener's address and dials peers with TLS (Redis tls-cluster).
	Cluster bool
}

func (t TLSConfig) enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

func (t TLSConfig) validate() error {
	if !t.enabled() {
		if t.Addr != "" || t.Cluster {
			return errors.New("cacheserver: TLS needs CertFile and KeyFile")
		}
		return nil
	}
	switch {
	case t.CertFile == "" || t.KeyFile == "":
		return errors.New("cacheserver: TLS needs both CertFile and KeyFile")
	case t.AuthClients != "yes" && t.AuthClients != "no" && t.AuthClients != "optional":
		return fmt.Errorf("cacheserver: TLS AuthClients must be yes, no or optional, got %q", t.AuthClients)
	case t.CAFile == "" && (t.AuthClients != "no" || t.Cluster):
		return errors.New("cacheserver: TLS needs CAFile to verify client or peer certificates (or AuthClients no)")
	}
	return nil
}

// tlsState holds the current certificates and the configs built from
// them; it reloads them when the files change.
type tlsState struct {
	cfg TLSConfig
	log *slog.Logger

	mu      sync.Mutex
	stamp   []byte // sizes and mtimes of the files last loaded
	checked time.Time
	server  *tls.Config
	peer    *tls.Config
	cert    *tls.Certificate
}

func newTLSState(cfg TLSConfig, log *slog.Logger) (*tlsState, error) {
	if !cfg.enabled() {
		return nil, nil
	}
	t := &tlsState{cfg: cfg, log: log}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// fileStamp describes the files' sizes and modification times.
func (t *tlsState) fileStamp() []byte {
	var b bytes.Buffer
	for _, f := range []string{t.cfg.CertFile, t.cfg.KeyFile, t.cfg.CAFile} {
		if f == "" {
			continue
		}
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%d:%d;", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.Bytes()
}

// reload loads the files and rebuilds the configs; on error the current
// ones stay.
func (t *tlsState) reload() error {
	stamp := t.fileStamp()
	cert, err := tls.LoadX509KeyPair(t.cfg.CertFile, t.cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("cacheserver: TLS certificate: %w", err)
	}
	var pool *x509.CertPool
	if t.cfg.CAFile != "" {
		pem, err := os.ReadFile(t.cfg.CAFile)
		if err != nil {
			return fmt.Errorf("cacheserver: TLS CA file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("cacheserver: TLS CA file %s: no PEM certificate", t.cfg.CAFile)
		}
	}
	server := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, ClientCAs: pool}
	switch t.cfg.AuthClients {
	case "yes":
		server.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		server.ClientAuth = tls.VerifyClientCertIfGiven
	}
	peer := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{cert}}
	t.mu.Lock()
	t.stamp, t.server, t.peer, t.cert = stamp, server, peer, &cert
	t.mu.Unlock()
	return nil
}

// maybeReload reloads when the files changed since the last load, checking
// at most once per second.
func (t *tlsState) maybeReload() {
	t.mu.Lock()
	due := time.Since(t.checked) >= time.Second
	if due {
		t.checked = time.Now()
	}
	stamp := t.stamp
	t.mu.Unlock()
	if !due || bytes.Equal(stamp, t.fileStamp()) {
		return
	}
	if err := t.reload(); err != nil {
		t.log.Warn("TLS files changed but cannot be loaded; keeping the current certificates", "err", err)
		return
	}
	t.log.Info("TLS certificates reloaded")
}

// serverConfig is the listener's config: each handshake takes the current
// certificates.
func (t *tlsState) serverConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		t.maybeReload()
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.server, nil
	}}
}

// peerConfig is the config a node dials its peers with.
func (t *tlsState) peerConfig() *tls.Config {
	t.maybeReload()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peer
}

// ReloadTLS reloads the certificate, key and CA files now. On error the
// current certificates stay in use.
func (s *Server) ReloadTLS() error {
	if s.tls == nil {
		return errors.New("cacheserver: TLS is not configured")
	}
	return s.tls.reload()
}

// tlsListener marks a listener ServeTLS wrapped.
type tlsListener struct{ net.Listener }

// ServeTLS serves TLS clients on ln (a plain TCP listener) until Shutdown
// or Close, as Serve does. With TLS.Cluster, the node's cluster starts from
// this listener (its address is advertised to peers and clients).
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.tls == nil {
		ln.Close()
		return errors.New("cacheserver: TLS is not configured")
	}
	return s.Serve(tlsListener{tls.NewListener(ln, s.tls.serverConfig())})
}

// startsCluster reports whether the cluster starts from ln: the TLS
// listener with TLS.Cluster, else the plain one.
func (s *Server) startsCluster(ln net.Listener) bool {
	_, isTLS := ln.(tlsListener)
	return s.cfg.Cluster != nil && isTLS == s.cfg.TLS.Cluster
}

// tlsHandshakeTimeout bounds a TLS client's handshake.
const tlsHandshakeTimeout = 10 * time.Second

// handshake completes a TLS client's handshake before any command is
// read, so a plaintext client on the TLS port fails at once; it reports
// whether the connection may go on.
func (c *conn) handshake() bool {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return true
	}
	_ = tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	err := tc.Handshake()
	_ = tc.SetDeadline(time.Time{})
	if err != nil {
		c.srv.log.Debug("TLS handshake failed", "client", c.addr, "err", err)
		return false
	}
	return true
}
