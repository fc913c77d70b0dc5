package membership

import (
	"errors"
	"log/slog"
	"time"
)

// Config configures one node's membership. Start from DefaultConfig (LAN
// timers) or DefaultLocalConfig (fast timers for tests on one machine).
type Config struct {
	// NodeName is the node's unique name in the cluster. Required.
	NodeName string
	// BindAddr and BindPort are where gossip listens (TCP and UDP).
	// BindPort 0 picks a free port (tests). Defaults 127.0.0.1 and 7946.
	BindAddr string
	BindPort int
	// AdvertiseAddr and AdvertisePort are what peers use to reach this node;
	// empty/0 means the bind address and port.
	AdvertiseAddr string
	AdvertisePort int
	// Tags are published to every peer (RESP address, zone, digests...).
	Tags map[string]string
	// Join lists seed gossip addresses ("host:port"). Empty: start alone.
	Join []string
	// JoinBackoffMin and JoinBackoffMax bound the retry delay of joining,
	// which doubles after every failed attempt. Defaults 100ms and 10s.
	JoinBackoffMin, JoinBackoffMax time.Duration
	// CoalescePeriod and QuiescentPeriod control how serf merges a burst of
	// member events into one: it flushes after CoalescePeriod, or earlier
	// once no event came for QuiescentPeriod. Defaults 500ms and 100ms.
	CoalescePeriod, QuiescentPeriod time.Duration
	// DeadNodeReclaimTime is how long a failed node's name stays bound to
	// its old address; after it, a restarted node may rejoin under the same
	// name from a new address. Default 10s.
	DeadNodeReclaimTime time.Duration
	// Admit is called for every peer that announces itself; a non-nil error
	// refuses the peer (it is logged with the reason). Nil admits everyone.
	Admit func(Member) error
	// Keys, when not empty, encrypt gossip (AES-GCM): the first is the
	// primary key (used to encrypt), every key is tried to decrypt. Each is
	// 16, 24 or 32 bytes. Empty (default): gossip in clear text.
	Keys [][]byte
	// KeyringFile, when set, is where the keyring lives: read at start
	// when it exists (it then wins over Keys), created from Keys when it
	// does not, and rewritten by serf after every keyring change, so a
	// restarted node has the current keys. Written with mode 0600.
	KeyringFile string
	// Local selects fast memberlist timers (probe 200ms, gossip 20ms) for
	// tests on one machine; the default is the LAN profile.
	Local bool
	// Logger receives serf's and memberlist's logs. Nil: slog.Default().
	Logger *slog.Logger
	// Partition, when set, lets a test cut this node's gossip (see
	// Partition). Nil, the default, in production.
	Partition *Partition
}

// DefaultConfig returns LAN-profile membership on 127.0.0.1:7946.
func DefaultConfig() Config {
	return Config{
		BindAddr:            "127.0.0.1",
		BindPort:            7946,
		JoinBackoffMin:      100 * time.Millisecond,
		JoinBackoffMax:      10 * time.Second,
		CoalescePeriod:      500 * time.Millisecond,
		QuiescentPeriod:     100 * time.Millisecond,
		DeadNodeReclaimTime: 10 * time.Second,
	}
}

// DefaultLocalConfig returns membership with fast timers on a free port of
// 127.0.0.1, for tests: failures are detected in well under a second.
func DefaultLocalConfig() Config {
	c := DefaultConfig()
	c.BindPort = 0
	c.Local = true
	c.JoinBackoffMin = 10 * time.Millisecond
	c.JoinBackoffMax = 200 * time.Millisecond
	c.CoalescePeriod = 50 * time.Millisecond
	c.QuiescentPeriod = 10 * time.Millisecond
	c.DeadNodeReclaimTime = 100 * time.Millisecond
	return c
}

func (c Config) validate() error {
	switch {
	case c.NodeName == "":
		return errors.New("membership: NodeName is required")
	case c.BindPort < 0 || c.BindPort > 65535 || c.AdvertisePort < 0 || c.AdvertisePort > 65535:
		return errors.New("membership: ports must be in [0, 65535]")
	case c.JoinBackoffMin <= 0 || c.JoinBackoffMax < c.JoinBackoffMin:
		return errors.New("membership: need 0 < JoinBackoffMin <= JoinBackoffMax")
	case c.CoalescePeriod <= 0 || c.QuiescentPeriod <= 0:
		return errors.New("membership: coalesce and quiescent periods must be positive")
	}
	return nil
}
