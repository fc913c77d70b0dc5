package cacheserver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

// Version is the ringcache version reported by INFO (ringcache_version) and
// the --version flag.
const Version = "0.1.0"

// redisVersion is the Redis version ringcache answers like.
const redisVersion = "7.0.15"

// Config configures a Server. Use DefaultConfig and change fields; New
// validates a copy and never modifies the caller's value.
type Config struct {
	// Addr is the address ListenAndServe listens on. Default "127.0.0.1:7379".
	Addr string
	// MaxClients is the maximum number of connected clients (Redis
	// maxclients); more are answered "ERR max number of clients reached" and
	// closed. Default 10000; must be >= 1.
	MaxClients int
	// IdleTimeout closes a client idle for this long (Redis timeout, whole
	// seconds there). 0 (default) never closes idle clients.
	IdleTimeout time.Duration
	// FrameTimeout closes a client that started a command and did not finish
	// sending it within this time (slowloris). Default 30s; 0 disables.
	FrameTimeout time.Duration
	// WriteTimeout closes a client whose replies cannot be written for this
	// long (a client that never reads); the deadline is re-armed lazily, so
	// the cut comes between WriteTimeout/2 and WriteTimeout after the write
	// started. Default 60s; 0 disables.
	WriteTimeout time.Duration
	// OutputBufferLimit is the hard limit, in bytes, of replies buffered for
	// one client and not yet written; a client that exceeds it is closed.
	// Default 256 MiB; 0 means unlimited.
	OutputBufferLimit int64
	// MaxBulkLen is Redis's proto-max-bulk-len: the largest bulk string a
	// client may send, in bytes. Default 512 MiB.
	MaxBulkLen int64
	// MaxMultibulkLen is the largest array header accepted. Default 1048576*1024
	// like Redis (INT_MAX); the reader never preallocates from it.
	MaxMultibulkLen int64
	// RequirePass, when not empty, requires AUTH (Redis requirepass).
	RequirePass string
	// ACLFile, when not empty, is Redis's aclfile: users loaded at start
	// ("user <name> <rules>" lines) and by ACL LOAD, written by ACL SAVE.
	// A missing or invalid file fails New. Default "" (the default user only).
	ACLFile string
	// ProtectedMode (Redis protected-mode): while RequirePass is empty,
	// clients not on the loopback interface are refused with Redis's
	// -DENIED error. Default true; CONFIG SET protected-mode changes it.
	ProtectedMode bool
	// TLS configures the TLS listener and TLS between nodes (tls.go).
	// Zero value: no TLS.
	TLS TLSConfig
	// Store configures the keyspace. Default store.DefaultConfig().
	Store store.Config
	// AdminAddr, when not empty, is where the admin HTTP server listens
	// (/livez, /readyz, /metrics; see admin.go), started by Serve and
	// stopped by Shutdown or Close. Port 0 picks a free port (AdminAddr()
	// returns it). Default "" (no admin server).
	AdminAddr string
	// Pprof adds /debug/pprof/ to the admin server. Default false.
	Pprof bool
	// OnMaxMemory, when set, is called with the new budget after CONFIG SET
	// maxmemory changed it (cmd/cacheserver moves the Go memory limit).
	// It must not block.
	OnMaxMemory func(bytes int64)
	// Cluster, when set, makes the node a member of a ringcache cluster
	// (gossip, ring, forwarding, CLUSTER commands). Nil: a standalone node
	// that owns every slot and answers CLUSTER like a Redis without
	// cluster support.
	Cluster *ClusterConfig
	// Leases bounds the lease table (LEASEGET, lease.go). Zero fields mean
	// their defaults.
	Leases LeaseConfig
}

// Defaults.
const (
	DefaultAddr              = "127.0.0.1:7379"
	DefaultMaxClients        = 10000
	DefaultFrameTimeout      = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultOutputBufferLimit = 256 << 20
	DefaultMaxBulkLen        = 512 << 20
	DefaultMaxMultibulkLen   = 1<<31 - 1
)

// DefaultConfig returns the production defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Addr:              DefaultAddr,
		MaxClients:        DefaultMaxClients,
		FrameTimeout:      DefaultFrameTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		OutputBufferLimit: DefaultOutputBufferLimit,
		MaxBulkLen:        DefaultMaxBulkLen,
		MaxMultibulkLen:   DefaultMaxMultibulkLen,
		ProtectedMode:     true,
		Store:             store.DefaultConfig(),
		Leases:            DefaultLeaseConfig(),
	}
}

// validate checks c and returns it with defaults applied to zero fields
// where a zero makes no sense.
func (c Config) validate() (Config, error) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBulkLen == 0 {
		c.MaxBulkLen = DefaultMaxBulkLen
	}
	if c.MaxMultibulkLen == 0 {
		c.MaxMultibulkLen = DefaultMaxMultibulkLen
	}
	var errs []error
	if c.MaxClients < 1 {
		errs = append(errs, fmt.Errorf("cacheserver: MaxClients must be >= 1, got %d", c.MaxClients))
	}
	if c.IdleTimeout < 0 || c.FrameTimeout < 0 || c.WriteTimeout < 0 {
		errs = append(errs, errors.New("cacheserver: timeouts must be >= 0"))
	}
	if c.OutputBufferLimit < 0 {
		errs = append(errs, errors.New("cacheserver: OutputBufferLimit must be >= 0"))
	}
	if c.MaxBulkLen < 1 || c.MaxMultibulkLen < 1 {
		errs = append(errs, errors.New("cacheserver: MaxBulkLen and MaxMultibulkLen must be >= 1"))
	}
	if c.TLS.enabled() && c.TLS.AuthClients == "" {
		c.TLS.AuthClients = "yes"
	}
	if err := c.TLS.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("cacheserver: AdminAddr: %w", err))
		}
	}
	if c.Cluster != nil {
		cc := *c.Cluster
		cc.Join = append([]string(nil), cc.Join...)
		cc.GossipKeys, cc.ClusterSecret = cloneKeys(cc.GossipKeys), bytes.Clone(cc.ClusterSecret)
		c.Cluster = &cc
		if err := cc.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	if c.Leases, err = c.Leases.withDefaults(); err != nil {
		errs = append(errs, err)
	}
	if c.Store.MaxValueSize == 0 {
		c.Store.MaxValueSize = c.MaxBulkLen
	}
	return c, errors.Join(errs...)
}

// ParseMemory parses a Redis memory amount: a byte count with an optional
// unit k, kb, m, mb, g, gb (case-insensitive; k = 1000, kb = 1024, as Redis).
func ParseMemory(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid memory amount %q", s)
	}
	return n * mult, nil
}
