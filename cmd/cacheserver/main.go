// Command cacheserver runs one ringcache node: a Redis-compatible cache
// server speaking RESP2/RESP3 on --bind:--port.
//
// Configuration comes from flags, environment variables (RINGCACHE_ prefix,
// dashes as underscores: RINGCACHE_MAXMEMORY_POLICY) and an optional config
// file (--config, one "name value" per line), in that order of precedence.
// SIGTERM or SIGINT drains in-flight commands and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/internal/route"
	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// shutdownGrace bounds the drain on SIGTERM before connections are cut.
const shutdownGrace = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed command-line settings.
type options struct {
	bind, maxmemory, policy, requirepass, loglevel, logformat, bulkLen string
	port, maxclients, timeout                                          int
	version                                                            bool
	adminPort                                                          int
	pprof                                                              bool

	clusterEnabled                            bool
	gossipPort                                int
	join, nodeName, advertise, zone, redirect string
	gossipProfile                             string

	sec      secOptions // security.go
	lease    time.Duration
	ho       handoffOptions // handoff.go
	replicas int
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("cacheserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.bind, "bind", "127.0.0.1", "address to listen on")
	fs.IntVar(&o.port, "port", 7379, "TCP port (0 picks a free one)")
	fs.StringVar(&o.maxmemory, "maxmemory", "0", "memory budget, e.g. 100mb or 1gb (0 = unlimited)")
	fs.StringVar(&o.policy, "maxmemory-policy", "allkeys-lfu", "eviction policy (Redis names)")
	fs.IntVar(&o.maxclients, "maxclients", cacheserver.DefaultMaxClients, "maximum connected clients")
	fs.IntVar(&o.timeout, "timeout", 0, "close clients idle for this many seconds (0 = never)")
	fs.StringVar(&o.bulkLen, "proto-max-bulk-len", "512mb", "largest bulk string a client may send")
	fs.StringVar(&o.requirepass, "requirepass", "", "password clients must AUTH with (empty = none)")
	fs.StringVar(&o.loglevel, "loglevel", "info", "debug, info (notice), warn (warning) or error")
	fs.StringVar(&o.logformat, "logformat", "text", "text or json")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.IntVar(&o.adminPort, "admin-port", 0, "admin HTTP port on --bind: /livez, /readyz, /metrics (0 = off; 9379 in deploy/)")
	fs.BoolVar(&o.pprof, "pprof", false, "serve /debug/pprof/ on the admin port")
	fs.BoolVar(&o.clusterEnabled, "cluster-enabled", true, "join a ringcache cluster (false: a standalone node)")
	fs.IntVar(&o.gossipPort, "gossip-port", 7946, "gossip port (TCP and UDP) on --bind (0 picks a free one)")
	fs.StringVar(&o.join, "join", "", "gossip addresses host:port[,...] of members to join (retried until one answers)")
	fs.StringVar(&o.nodeName, "node-name", "", "unique, stable node name (default: hostname-port)")
	fs.StringVar(&o.advertise, "advertise", "", "IP (or host name, resolved once at start) peers and clients use to reach this node (default: --bind)")
	fs.StringVar(&o.zone, "zone", "", "failure domain published to peers")
	fs.StringVar(&o.redirect, "redirect", "forward", "keys owned by another node: forward (proxy) or moved (-MOVED like Redis Cluster)")
	fs.StringVar(&o.gossipProfile, "gossip-profile", "lan", "gossip timers: lan, or local (fast failure detection, one machine)")
	o.sec.register(fs)
	o.ho.register(fs)
	fs.DurationVar(&o.lease, "cluster-lease", 0,
		"serve keys only this long after a majority answered (0 = 3/4 of the gossip profile's earliest failure detection)")
	fs.IntVar(&o.replicas, "replicas", ring.DefaultConfig().Replicas,
		"copies of each slot besides its owner's, on other members (0 to 8; every node must use the same value)")
	fs.String("config", "", "config file: one 'name value' per line")
	err := ff.Parse(fs, args, ff.WithEnvVarPrefix("RINGCACHE"),
		ff.WithConfigFileFlag("config"), ff.WithConfigFileParser(ff.PlainParser))
	return o, err
}

// config turns options into a validated server config.
func (o *options) config() (cacheserver.Config, error) {
	cfg := cacheserver.DefaultConfig()
	switch {
	case o.port < 0 || o.port > 65535:
		return cfg, errors.New("--port must be in [0, 65535]")
	case o.maxclients < 1:
		return cfg, errors.New("--maxclients must be >= 1")
	}
	cfg.Addr = net.JoinHostPort(o.bind, strconv.Itoa(o.port))
	mm, err := cacheserver.ParseMemory(o.maxmemory)
	if err != nil {
		return cfg, fmt.Errorf("--maxmemory: %w", err)
	}
	cfg.Store.MaxMemory = mm
	if cfg.Store.Policy, err = store.ParsePolicy(o.policy); err != nil {
		return cfg, fmt.Errorf("--maxmemory-policy: %w", err)
	}
	if cfg.MaxBulkLen, err = cacheserver.ParseMemory(o.bulkLen); err != nil {
		return cfg, fmt.Errorf("--proto-max-bulk-len: %w", err)
	}
	cfg.Store.MaxValueSize = cfg.MaxBulkLen
	if o.timeout < 0 {
		return cfg, errors.New("--timeout must be >= 0")
	}
	cfg.MaxClients = o.maxclients
	cfg.IdleTimeout = time.Duration(o.timeout) * time.Second
	if err := o.adminConfig(&cfg); err != nil {
		return cfg, err
	}
	if o.clusterEnabled {
		cc, err := o.clusterConfig()
		if err != nil {
			return cfg, err
		}
		cfg.Cluster = &cc
	}
	return cfg, o.sec.apply(&cfg, o.requirepass, o.bind)
}

// adminConfig sets the admin server from --admin-port and --pprof.
func (o *options) adminConfig(cfg *cacheserver.Config) error {
	if o.adminPort < 0 || o.adminPort > 65535 {
		return errors.New("--admin-port must be in [0, 65535]")
	}
	if o.pprof && o.adminPort == 0 {
		return errors.New("--pprof needs --admin-port")
	}
	if o.adminPort > 0 {
		cfg.AdminAddr = net.JoinHostPort(o.bind, strconv.Itoa(o.adminPort))
	}
	cfg.Pprof = o.pprof
	return nil
}

// clusterConfig turns the cluster flags into a ClusterConfig.
func (o *options) clusterConfig() (cacheserver.ClusterConfig, error) {
	cc := cacheserver.DefaultClusterConfig()
	if o.gossipPort < 0 || o.gossipPort > 65535 {
		return cc, errors.New("--gossip-port must be in [0, 65535]")
	}
	cc.GossipAddr = net.JoinHostPort(o.bind, strconv.Itoa(o.gossipPort))
	cc.NodeName, cc.Zone, cc.Redirect = o.nodeName, o.zone, o.redirect
	adv, err := resolveAdvertise(o.advertise)
	if err != nil {
		return cc, fmt.Errorf("--advertise: %w", err)
	}
	cc.Advertise = adv
	for _, j := range strings.Split(o.join, ",") {
		if j = strings.TrimSpace(j); j != "" {
			cc.Join = append(cc.Join, j)
		}
	}
	switch o.gossipProfile {
	case "lan":
	case "local":
		cc.FastGossip, cc.LeaveDrain = true, 200*time.Millisecond
	default:
		return cc, fmt.Errorf("--gossip-profile: want lan or local, got %q", o.gossipProfile)
	}
	if _, err := route.ParseMode(o.redirect); err != nil {
		return cc, fmt.Errorf("--redirect: %w", err)
	}
	cc.Lease = o.lease
	if err := o.ho.apply(&cc); err != nil {
		return cc, err
	}
	cc.Ring.Replicas = o.replicas
	if err := cc.Ring.Validate(); err != nil {
		return cc, fmt.Errorf("--replicas: %w", err)
	}
	if _, _, err := cc.FencingTimes(); err != nil {
		return cc, fmt.Errorf("--cluster-lease: %w", err)
	}
	return cc, nil
}

// resolveAdvertise turns a host name given as --advertise (a container's
// host name) into its IP address, resolved once at start: gossip needs an
// IP. An IP or "" is returned as it is.
func resolveAdvertise(host string) (string, error) {
	if host == "" || net.ParseIP(host) != nil {
		return host, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return "", err
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip.String(), nil
		}
	}
	return ips[0].String(), nil
}

func newLogger(o *options, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	switch strings.ToLower(o.loglevel) {
	case "debug", "verbose":
		level = slog.LevelDebug
	case "info", "notice":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, fmt.Errorf("--loglevel: unknown level %q", o.loglevel)
	}
	ho := &slog.HandlerOptions{Level: level}
	if o.logformat == "json" {
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return slog.New(slog.NewTextHandler(w, ho)), nil
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "cacheserver:", err)
		return 2
	}
	if o.version {
		fmt.Fprintf(stdout, "cacheserver %s (redis %s compatible)\n", cacheserver.Version, "7.0.15")
		return 0
	}
	log, err := newLogger(o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "cacheserver:", err)
		return 2
	}
	cfg, err := o.config()
	if err != nil {
		fmt.Fprintln(stderr, "cacheserver:", err)
		return 2
	}
	ml := newMemoryLimiter(log)
	ml.apply(cfg.Store.MaxMemory)
	cfg.OnMaxMemory = ml.apply
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("server failed", "err", err)
		return 1
	}
	return 0
}

// serve runs the server until ctx ends, then drains it.
func serve(ctx context.Context, cfg cacheserver.Config, log *slog.Logger) error {
	srv, err := cacheserver.New(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = srv.Close()
		return err
	}
	logConfig(log, cfg, ln.Addr())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	serving, err := serveTLS(ctx, srv, cfg, log, errc) // security.go
	if err != nil {
		_ = srv.Close()
		return errors.Join(err, <-errc)
	}
	select {
	case err := <-errc:
		_ = srv.Close()
		for range serving {
			<-errc
		}
		return err
	case <-ctx.Done():
	case <-srv.DrainRequested(): // RINGCACHE DRAIN: as SIGTERM
	}
	log.Info("shutting down: draining connections")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	for range 1 + serving {
		if serr := <-errc; !errors.Is(serr, cacheserver.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	log.Info("stopped")
	return err
}

// logConfig logs the effective configuration, secrets redacted.
func logConfig(log *slog.Logger, cfg cacheserver.Config, addr net.Addr) {
	pass := ""
	if cfg.RequirePass != "" {
		pass = "<redacted>"
	}
	log.Info("ringcache listening", "addr", addr.String(), "version", cacheserver.Version,
		"maxmemory", cfg.Store.MaxMemory, "maxmemory_policy", cfg.Store.Policy.String(),
		"maxclients", cfg.MaxClients, "timeout", cfg.IdleTimeout, "proto_max_bulk_len", cfg.MaxBulkLen,
		"frame_timeout", cfg.FrameTimeout, "write_timeout", cfg.WriteTimeout,
		"output_buffer_limit", cfg.OutputBufferLimit, "requirepass", pass, "admin", cfg.AdminAddr,
		"pprof", cfg.Pprof, "pid", os.Getpid())
	logSecurity(log, cfg)
	if cc := cfg.Cluster; cc != nil {
		log.Info("cluster config", "node_name", cc.NodeName, "gossip", cc.GossipAddr, "join", cc.Join,
			"advertise", cc.Advertise, "zone", cc.Zone, "redirect", cc.Redirect, "fast_gossip", cc.FastGossip,
			"partitions", cc.Ring.Partitions, "virtual_nodes", cc.Ring.VirtualNodes, "load", cc.Ring.Load, "replicas", cc.Ring.Replicas)
		lease, detection, _ := cc.FencingTimes()
		log.Info("cluster fencing", "lease", lease, "earliest_failure_detection", detection)
	}
}
