package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/internal/membership"
)

// secOptions are the security flags (docs/security.md). Every secret can
// come from its flag, from the environment (RINGCACHE_GOSSIP_KEY, ...) or
// from a file named by the matching -file flag, so it need not appear on
// a command line.
type secOptions struct {
	requirepassFile                  string
	gossipKey, gossipKeyFile         string
	keyringFile                      string
	clusterSecret, clusterSecretFile string
	protectedMode                    string
	aclFile                          string
	tls                              tlsOptions
}

func (s *secOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&s.requirepassFile, "requirepass-file", "", "file holding the requirepass password")
	fs.StringVar(&s.gossipKey, "gossip-key", "", "base64 key (16, 24 or 32 bytes) encrypting gossip; env RINGCACHE_GOSSIP_KEY")
	fs.StringVar(&s.gossipKeyFile, "gossip-key-file", "", "file holding the base64 gossip key")
	fs.StringVar(&s.keyringFile, "keyring-file", "", "gossip keyring file (JSON array of base64 keys, primary first); read at start if it exists, kept current by CLUSTER KEYRING")
	fs.StringVar(&s.clusterSecret, "cluster-secret", "", "secret peers prove (never send) on forwarding links; default derived from the gossip key")
	fs.StringVar(&s.clusterSecretFile, "cluster-secret-file", "", "file holding the cluster secret")
	fs.StringVar(&s.protectedMode, "protected-mode", "yes", "yes: without a password, refuse clients not on loopback (Redis -DENIED)")
	fs.StringVar(&s.aclFile, "aclfile", "", "ACL users file (Redis aclfile: 'user <name> <rules>' lines), loaded at start and by ACL LOAD, written by ACL SAVE")
	s.tls.register(fs)
}

// secret returns the flag's value or the content of its file (trailing
// newline removed); setting both is an error.
func secret(name, value, file string) (string, error) {
	if file == "" {
		return value, nil
	}
	if value != "" {
		return "", fmt.Errorf("--%s and --%s-file are both set", name, name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--%s-file: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// apply sets the security fields of cfg (after its cluster config).
func (s *secOptions) apply(cfg *cacheserver.Config, requirepass, bind string) error {
	var err error
	cfg.ACLFile = s.aclFile
	if cfg.RequirePass, err = secret("requirepass", requirepass, s.requirepassFile); err != nil {
		return err
	}
	switch s.protectedMode {
	case "yes", "no":
		cfg.ProtectedMode = s.protectedMode == "yes"
	default:
		return errors.New("--protected-mode: want yes or no")
	}
	if err := s.tls.apply(cfg, bind); err != nil {
		return err
	}
	return s.applyCluster(cfg.Cluster)
}

func (s *secOptions) applyCluster(cc *cacheserver.ClusterConfig) error {
	key, err := secret("gossip-key", s.gossipKey, s.gossipKeyFile)
	if err != nil {
		return err
	}
	cs, err := secret("cluster-secret", s.clusterSecret, s.clusterSecretFile)
	if err != nil {
		return err
	}
	if cc == nil {
		if key != "" || cs != "" || s.keyringFile != "" {
			return errors.New("--gossip-key, --keyring-file and --cluster-secret need --cluster-enabled")
		}
		return nil
	}
	if key != "" {
		k, err := membership.ParseKey(key)
		if err != nil {
			return fmt.Errorf("--gossip-key: %w", err)
		}
		cc.GossipKeys = [][]byte{k}
	}
	cc.KeyringFile = s.keyringFile
	cc.ClusterSecret = []byte(cs)
	return nil
}

// logSecurity logs which protections are on, never a secret.
func logSecurity(log *slog.Logger, cfg cacheserver.Config) {
	attrs := []any{"requirepass_set", cfg.RequirePass != "", "protected_mode", cfg.ProtectedMode,
		"tls_addr", cfg.TLS.Addr, "tls_auth_clients", cfg.TLS.AuthClients}
	if cc := cfg.Cluster; cc != nil {
		peerAuth := "none (open cluster)"
		switch {
		case len(cc.ClusterSecret) > 0:
			peerAuth = "cluster secret"
		case len(cc.GossipKeys) > 0 || cc.KeyringFile != "":
			peerAuth = "derived from the gossip keys"
		case cfg.RequirePass != "":
			peerAuth = "derived from requirepass (set --cluster-secret)"
		}
		attrs = append(attrs, "gossip_encryption", len(cc.GossipKeys) > 0 || cc.KeyringFile != "",
			"keyring_file", cc.KeyringFile, "peer_auth", peerAuth, "tls_cluster", cfg.TLS.Cluster)
	}
	log.Info("security", attrs...)
}

// tlsOptions are Redis's TLS flags.
type tlsOptions struct {
	port                       int
	cert, key, ca, authClients string
	cluster                    bool
}

func (t *tlsOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&t.port, "tls-port", -1, "TLS port on --bind (0 picks a free one; -1: no TLS listener)")
	fs.StringVar(&t.cert, "tls-cert-file", "", "PEM certificate (chain) for TLS clients and peers")
	fs.StringVar(&t.key, "tls-key-file", "", "PEM private key of --tls-cert-file")
	fs.StringVar(&t.ca, "tls-ca-cert-file", "", "PEM CA certificates client and peer certificates must chain to")
	fs.StringVar(&t.authClients, "tls-auth-clients", "yes", "yes (require a client certificate), optional or no")
	fs.BoolVar(&t.cluster, "tls-cluster", false, "TLS between nodes: advertise the TLS port and dial peers with TLS")
}

func (t *tlsOptions) apply(cfg *cacheserver.Config, bind string) error {
	if t.port < -1 || t.port > 65535 {
		return errors.New("--tls-port must be in [-1, 65535]")
	}
	if t.port >= 0 && (t.cert == "" || t.key == "") {
		return errors.New("--tls-port needs --tls-cert-file and --tls-key-file")
	}
	if t.port >= 0 {
		cfg.TLS.Addr = net.JoinHostPort(bind, strconv.Itoa(t.port))
	}
	if t.cert != "" || t.key != "" {
		cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CAFile = t.cert, t.key, t.ca
		cfg.TLS.AuthClients = t.authClients
	}
	cfg.TLS.Cluster = t.cluster
	if t.cluster && t.port < 0 {
		return errors.New("--tls-cluster needs --tls-port (peers reach the node there)")
	}
	return nil
}

// serveTLS starts the TLS listener when one is configured (its result
// goes to errc) and reloads the certificates on SIGHUP until ctx ends. It
// returns the number of Serve calls it started.
func serveTLS(ctx context.Context, srv *cacheserver.Server, cfg cacheserver.Config, log *slog.Logger, errc chan<- error) (int, error) {
	if cfg.TLS.CertFile == "" {
		return 0, nil
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := srv.ReloadTLS(); err != nil {
					log.Error("SIGHUP: TLS reload failed; keeping the current certificates", "err", err)
				} else {
					log.Info("SIGHUP: TLS certificates reloaded")
				}
			}
		}
	}()
	if cfg.TLS.Addr == "" {
		return 0, nil
	}
	ln, err := net.Listen("tcp", cfg.TLS.Addr)
	if err != nil {
		return 0, fmt.Errorf("--tls-port: %w", err)
	}
	log.Info("ringcache TLS listening", "tls_addr", ln.Addr().String(), "tls_auth_clients", cfg.TLS.AuthClients)
	go func() { errc <- srv.ServeTLS(ln) }()
	return 1, nil
}
