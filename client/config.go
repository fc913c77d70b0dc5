package client

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math"
	"net"
	"slices"
	"strings"
	"time"
)

// Config configures a Client. Start from DefaultConfig; New copies and
// validates it.
type Config struct {
	// Seeds are RESP addresses of any cluster nodes ("host:port"); the slot
	// table is read from the first that answers. Required.
	Seeds []string
	// Password authenticates to the nodes (requirepass); empty for none.
	Password string
	// TLS, when set, connects to the nodes' TLS ports with this config
	// (the seeds and the slot table must then name TLS addresses, as a
	// cluster with TLS between nodes advertises). Nil: plain TCP.
	TLS *tls.Config

	// DialTimeout, ReadTimeout and WriteTimeout bound one network hop.
	// A cache hop is sub-millisecond: the defaults are tens of
	// milliseconds, not go-redis's seconds. Defaults 50ms, 50ms, 50ms.
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// PoolSize bounds the connections per node of each of the client's two
	// pools: remote reads (GET+PTTL), and writes and write-backs. A call that
	// finds its pool busy waits up to ReadTimeout+1s. Default 16.
	PoolSize int
	// RefreshInterval is how often the slot table is re-read even without
	// a reason. Default 30s.
	RefreshInterval time.Duration

	// L1 configures the in-process tier.
	L1 L1Config

	// TTL is the lifetime of values written back to the cluster after an
	// origin load, varied by ±TTLJitter (a fraction, default 0.1) so that
	// keys loaded together do not expire together. Default 10m.
	TTL       time.Duration
	TTLJitter float64
	// NegativeTTL is how long an origin "not found" is remembered: in the
	// cluster, as a marker value written back like a loaded value (every
	// instance answers ErrNotFound without loading), and in L1 for at most
	// the marker's remaining TTL (negative.go). A write, Delete or
	// Invalidate of the key ends it at once. Default 30s; 0 disables
	// negative caching.
	NegativeTTL time.Duration
	// StaleIfError is how long past its freshness an L1 value may still be
	// served, flagged Stale, when the origin fails. Default 0 (off).
	StaleIfError time.Duration
	// LoadTimeout bounds one origin load. Default 2s.
	LoadTimeout time.Duration
	// LeaseTTL is the lease period asked for with LEASEGET: how long
	// other processes wait (polling) for this one's origin load before one
	// of them may load instead. It should exceed LoadTimeout; the node caps
	// it (10s by default). 0 disables leases: loads are written back with
	// SET NX, once per key per process. Default 3s.
	LeaseTTL time.Duration
	// EarlyRefresh is XFetch's β (refresh.go): a Get of a value near the
	// end of its cluster TTL reloads it in the background, with a
	// probability that grows as expiry nears and with the origin's load
	// time; 1 is the paper's choice, larger refreshes earlier. Needs
	// leases and a Loader. 0 (the default) disables it.
	EarlyRefresh float64

	// ReadPolicy chooses which member of a slot's replica set serves the
	// reads that do not fill L1 (readpolicy.go); a read whose primary fails
	// goes to a replica whatever the policy. Default ReadPrimary.
	ReadPolicy ReadPolicy
	// Zone is this client's zone and NodeZones the nodes' zones by address
	// ("host:port"), for ReadSameZone (nodes do not report their zone to
	// clients; take it from ring.Member.Zone or the deployment).
	Zone      string
	NodeZones map[string]string

	// Breaker configures the circuit breakers (one per node, one for the
	// origin).
	Breaker BreakerConfig

	// Loader reads misses through from the origin; nil means Get returns
	// ErrNotFound on a cluster miss.
	Loader Loader
	// Logger receives the client's logs (never values). Nil: slog.Default().
	Logger *slog.Logger
	// Hooks observe every Get (tracing, metrics); may be nil.
	Hooks *Hooks
}

// L1Config configures the in-process tier.
type L1Config struct {
	// Disabled turns L1 off: every Get goes to the cluster.
	Disabled bool
	// MaxBytes is the cost budget (key + value + overhead bytes).
	// Default 64 MiB.
	MaxBytes int64
	// NumCounters sizes ristretto's admission sketch: about 10× the
	// number of entries expected. Default 1,000,000.
	NumCounters int64
	// MaxTTL caps how long an entry is served without revalidation: a
	// backstop should an invalidation be lost without the connection
	// dropping. Default 1m.
	MaxTTL time.Duration
	// MaxStaleness bounds how far behind the cluster an L1 read may be. The
	// client pings each node's invalidation connection every MaxStaleness/4;
	// an L1 entry is served only while the node's last answered ping was
	// sent less than MaxStaleness ago, which proves every invalidation the
	// node sent before it has been applied. Otherwise the read goes to the
	// node. Default 100ms.
	MaxStaleness time.Duration
	// OutageWindow lets L1 keep answering while a key's node is
	// unreachable: when reading the node fails and its invalidation
	// connection has been down for less than OutageWindow, an entry valid
	// when it dropped (and within its TTL) is served with Result.Stale set.
	// Such reads are outside the MaxStaleness bound. 0 (the default)
	// disables it: those reads go to the origin.
	OutageWindow time.Duration
	// Tracking chooses which invalidations a client subscribes to:
	// TrackingOptIn, only keys this client read into L1 (CLIENT TRACKING
	// OPTIN on the read connections, redirected to the invalidation
	// connection; CLIENT CACHING YES before each read whose value may fill
	// L1); TrackingBroadcast, every key written on the node (BCAST, or the
	// Prefixes below). Default (TrackingAuto): broadcast when Prefixes are
	// set, opt-in otherwise.
	Tracking TrackingMode
	// Prefixes scopes L1: when set, only keys starting with one of them
	// are cached in L1, and the invalidation connections subscribe to
	// those prefixes only (CLIENT TRACKING ON BCAST PREFIX ...), so writes
	// of other keys cost this client nothing; other keys are read from the
	// cluster every time. Prefixes must not overlap (Redis's rule). Default
	// none: every key.
	Prefixes []string
}

// TrackingMode is L1Config.Tracking.
type TrackingMode uint8

// The tracking modes (see L1Config.Tracking).
const (
	TrackingAuto TrackingMode = iota
	TrackingOptIn
	TrackingBroadcast
)

func (m TrackingMode) String() string {
	return [...]string{"auto", "optin", "broadcast"}[min(int(m), 2)]
}

// trackingMode returns the mode in effect: Auto made concrete.
func (l L1Config) trackingMode() TrackingMode {
	if l.Tracking != TrackingAuto {
		return l.Tracking
	}
	if len(l.Prefixes) > 0 {
		return TrackingBroadcast
	}
	return TrackingOptIn
}

// BreakerConfig configures gobreaker circuit breakers.
type BreakerConfig struct {
	// ConsecutiveFailures opens a breaker. Default 5.
	ConsecutiveFailures uint32
	// OpenTimeout is how long an open breaker rejects calls before letting
	// a probe through. Default 1s.
	OpenTimeout time.Duration
	// OriginGroups gives keys under each prefix an origin breaker of their
	// own (origingroups.go): a group whose loads fail is cut off alone.
	// Keys under none share one breaker; a key under several takes the
	// longest. Default none: one origin breaker.
	OriginGroups []string
}

// DefaultConfig returns the defaults documented on each field; Seeds must
// still be set.
func DefaultConfig() Config {
	return Config{
		DialTimeout: 50 * time.Millisecond, ReadTimeout: 50 * time.Millisecond, WriteTimeout: 50 * time.Millisecond,
		PoolSize:        16,
		RefreshInterval: 30 * time.Second,
		L1:              L1Config{MaxBytes: 64 << 20, NumCounters: 1_000_000, MaxTTL: time.Minute, MaxStaleness: 100 * time.Millisecond},
		TTL:             10 * time.Minute,
		TTLJitter:       0.1,
		NegativeTTL:     30 * time.Second,
		LoadTimeout:     2 * time.Second,
		LeaseTTL:        3 * time.Second,
		Breaker:         BreakerConfig{ConsecutiveFailures: 5, OpenTimeout: time.Second},
	}
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New("client: "+msg))
		}
	}
	check(len(c.Seeds) > 0, "at least one seed address is required")
	check(c.DialTimeout > 0 && c.ReadTimeout > 0 && c.WriteTimeout > 0, "timeouts must be positive")
	check(c.PoolSize > 0, "PoolSize must be positive")
	check(c.RefreshInterval > 0, "RefreshInterval must be positive")
	check(c.L1.Disabled || (c.L1.MaxBytes > 0 && c.L1.NumCounters > 0 && c.L1.MaxTTL > 0 && c.L1.MaxStaleness >= 4*time.Millisecond),
		"L1 needs MaxBytes, NumCounters, MaxTTL > 0 and MaxStaleness >= 4ms")
	check(c.L1.Tracking <= TrackingBroadcast, "L1.Tracking is not a TrackingMode")
	check(c.L1.Tracking != TrackingOptIn || len(c.L1.Prefixes) == 0, "L1.Prefixes need TrackingBroadcast (BCAST PREFIX)")
	check(c.L1.OutageWindow >= 0, "L1.OutageWindow must not be negative")
	check(!prefixesOverlap(c.L1.Prefixes), "L1.Prefixes must not overlap (one a prefix of another)")
	check(c.TTL >= 0 && c.NegativeTTL >= 0 && c.StaleIfError >= 0, "TTLs must not be negative")
	check(c.TTLJitter >= 0 && c.TTLJitter < 1, "TTLJitter must be in [0, 1)")
	check(c.LoadTimeout > 0, "LoadTimeout must be positive")
	check(c.EarlyRefresh >= 0 && !math.IsInf(c.EarlyRefresh, 0) && !math.IsNaN(c.EarlyRefresh), "EarlyRefresh must be a finite number >= 0")
	check(c.LeaseTTL == 0 || c.LeaseTTL >= time.Millisecond, "LeaseTTL must be 0 (off) or at least 1ms")
	check(!slices.Contains(c.Breaker.OriginGroups, ""), "Breaker.OriginGroups must not contain an empty prefix")
	check(c.ReadPolicy <= ReadSameZone, "ReadPolicy is not a ReadPolicy")
	check(c.ReadPolicy != ReadSameZone || c.Zone != "", "ReadSameZone needs Zone")
	check(c.Breaker.ConsecutiveFailures > 0 && c.Breaker.OpenTimeout > 0, "breaker settings must be positive")
	return errors.Join(errs...)
}

// dialNode connects to a node over TCP, or TLS when TLS is set (the
// handshake bounded by DialTimeout too).
func (c Config) dialNode(ctx context.Context, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: c.DialTimeout}
	if c.TLS == nil {
		return d.DialContext(ctx, "tcp", addr)
	}
	return (&tls.Dialer{NetDialer: d, Config: c.TLS}).DialContext(ctx, "tcp", addr)
}

// prefixesOverlap reports whether one prefix starts with another.
func prefixesOverlap(ps []string) bool {
	for i, p := range ps {
		for j, q := range ps {
			if i != j && strings.HasPrefix(p, q) {
				return true
			}
		}
	}
	return false
}
