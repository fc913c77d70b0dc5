package membership

import (
	"errors"
	"net"
	"time"

	"github.com/hashicorp/memberlist"
)

// Detection is the failure-detection timing of a gossip profile, what a
// node needs to bound how soon its peers can declare it failed.
type Detection struct {
	ProbeInterval time.Duration // a peer probes one member per interval
	ProbeTimeout  time.Duration // a probe's direct ack is awaited this long
	SuspicionMult int           // suspicion lasts at least SuspicionMult probe intervals
}

// Min is the earliest a peer can declare a node failed after the node
// stops answering: the failed probe (at least ProbeTimeout) plus
// memberlist's shortest suspicion, SuspicionMult × ProbeInterval (scaled
// up by log10 of the member count beyond 10 members, and longer still
// unless other members confirm the suspicion quickly). Serf's coalescing
// of the resulting event comes on top.
func (d Detection) Min() time.Duration {
	return d.ProbeTimeout + time.Duration(d.SuspicionMult)*d.ProbeInterval
}

// Detection returns the timers of c's profile (LAN, or Local).
func (c Config) Detection() Detection {
	ml := memberlist.DefaultLANConfig()
	if c.Local {
		ml = localMemberlist()
	}
	return Detection{ProbeInterval: ml.ProbeInterval, ProbeTimeout: ml.ProbeTimeout, SuspicionMult: ml.SuspicionMult}
}

// Ping sends one gossip ping to the member called name at its gossip
// address addr ("host:port") and waits for the ack, at most the profile's
// ProbeTimeout. It succeeds only if that very member answered: the ping
// names it and any other node drops it.
func (m *Membership) Ping(name, addr string) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	ml := m.serf.Memberlist()
	if ml == nil {
		return errors.New("membership: gossip is not running")
	}
	_, err = ml.Ping(name, ua)
	return err
}
