package membership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// Member is a node as gossip sees it.
type Member struct {
	Name   string
	Addr   string // gossip address, host:port
	Tags   map[string]string
	Status string // "alive", "leaving", "left", "failed"
}

// Membership is one node's view of the cluster. Its methods are safe for
// concurrent use.
type Membership struct {
	cfg      Config
	log      *slog.Logger
	serf     *serf.Serf
	events   chan serf.Event
	onChange func([]Member)
	keyring  *memberlist.Keyring // nil: gossip in clear text

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	paused   atomic.Bool
	kick     chan struct{}
	joined   atomic.Bool
	shutdown sync.Once
	err      error
}

// New starts gossip and, if cfg.Join is set, keeps trying to join until it
// succeeds or the Membership is shut down. onChange is called from a single
// goroutine (never concurrently) with the alive members after each burst
// of membership events, starting with the local node alone.
func New(cfg Config, onChange func([]Member)) (*Membership, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Tags = maps(cfg.Tags)
	cfg.Join = slices.Clone(cfg.Join)
	m := &Membership{cfg: cfg, log: cfg.Logger, onChange: onChange,
		events: make(chan serf.Event, 256), kick: make(chan struct{}, 1)}
	keys, err := resolveKeys(cfg)
	if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	if m.keyring, err = newKeyring(keys); err != nil {
		return nil, err
	}
	sc := m.serfConfig()
	if cfg.Partition != nil {
		if err := m.partitioned(sc.MemberlistConfig); err != nil {
			return nil, fmt.Errorf("membership: start gossip: %w", err)
		}
	}
	s, err := serf.Create(sc)
	if err != nil {
		if sc.MemberlistConfig.Transport != nil {
			_ = sc.MemberlistConfig.Transport.Shutdown()
		}
		return nil, fmt.Errorf("membership: start gossip: %w", err)
	}
	m.serf = s
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go m.loop()
	if len(cfg.Join) > 0 {
		m.wg.Add(1)
		go m.joinLoop()
	} else {
		m.joined.Store(true)
	}
	return m, nil
}

func (m *Membership) serfConfig() *serf.Config {
	sc := serf.DefaultConfig()
	sc.NodeName = m.cfg.NodeName
	sc.Tags = m.cfg.Tags
	sc.EventCh = m.events
	sc.CoalescePeriod = m.cfg.CoalescePeriod
	sc.QuiescentPeriod = m.cfg.QuiescentPeriod
	sc.Logger = newStdLogger(m.log.With("component", "serf"))
	sc.LogOutput = nil
	sc.Merge = admitter{m}
	ml := sc.MemberlistConfig
	if m.cfg.Local {
		sc.MemberlistConfig = localMemberlist()
		ml = sc.MemberlistConfig
		sc.ReapInterval = time.Second
		sc.ReconnectInterval = 500 * time.Millisecond
		sc.LeavePropagateDelay = 500 * time.Millisecond // let the leave intent reach every peer under -race and load
		sc.BroadcastTimeout = time.Second
	}
	ml.Name = m.cfg.NodeName
	ml.BindAddr, ml.BindPort = m.cfg.BindAddr, m.cfg.BindPort
	ml.AdvertiseAddr, ml.AdvertisePort = m.cfg.AdvertiseAddr, m.cfg.AdvertisePort
	if ml.AdvertiseAddr != "" && ml.AdvertisePort == 0 {
		ml.AdvertisePort = ml.BindPort // memberlist would advertise port 0
	}
	ml.DeadNodeReclaimTime = m.cfg.DeadNodeReclaimTime
	ml.Logger = newStdLogger(m.log.With("component", "memberlist"))
	ml.LogOutput = nil
	if m.keyring != nil {
		ml.Keyring = m.keyring
		ml.GossipVerifyIncoming, ml.GossipVerifyOutgoing = true, true
		sc.KeyringFile = m.cfg.KeyringFile
	}
	return sc
}

// localMemberlist is memberlist's local profile with timers turned down as
// serf's own tests do, but with enough slack for -race on 2 cores under
// load: tighter timers made whole test clusters flap (false failures, ring
// changes, dropped slots) while other packages' tests ran.
func localMemberlist() *memberlist.Config {
	c := memberlist.DefaultLocalConfig()
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 150 * time.Millisecond
	c.GossipInterval = 20 * time.Millisecond
	c.PushPullInterval = time.Second
	c.SuspicionMult = 6 // a lease shorter than detection needs slack under -race on 2 loaded cores
	c.TCPTimeout = 500 * time.Millisecond
	return c
}

// partitioned installs the test partition's transport in ml.
func (m *Membership) partitioned(ml *memberlist.Config) error {
	t, port, err := newCutTransport(m.cfg.Partition, ml.BindAddr, ml.BindPort, m.log.With("component", "memberlist"))
	if err != nil {
		return err
	}
	ml.Transport, ml.BindPort = t, port
	if ml.AdvertisePort == 0 {
		ml.AdvertisePort = port
	}
	return nil
}

func (m *Membership) loop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case e := <-m.events:
			if _, ok := e.(serf.MemberEvent); ok {
				m.notify()
			}
		case <-m.kick:
			m.notify()
		}
	}
}

func (m *Membership) notify() {
	if m.paused.Load() || m.onChange == nil {
		return
	}
	m.onChange(m.Members())
}

// SetPaused holds back (true) or releases (false) OnChange calls; on
// release the current member list is delivered. Tests use it to make two
// nodes' views disagree.
func (m *Membership) SetPaused(p bool) {
	m.paused.Store(p)
	if !p {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
}

func (m *Membership) joinLoop() {
	defer m.wg.Done()
	delay := m.cfg.JoinBackoffMin
	for {
		n, err := m.serf.Join(m.cfg.Join, true)
		if err == nil && n > 0 {
			m.joined.Store(true)
			m.log.Info("joined cluster", "seeds", strings.Join(m.cfg.Join, ","), "contacted", n)
			return
		}
		m.log.Warn("join failed, retrying", "seeds", strings.Join(m.cfg.Join, ","), "err", err,
			"retry_in", delay, "hint", m.joinHint())
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, m.cfg.JoinBackoffMax)
	}
}

// Joined reports whether the node has contacted a seed (or needs none).
func (m *Membership) Joined() bool { return m.joined.Load() }

// Members returns the alive members, sorted by name, the local node
// included.
func (m *Membership) Members() []Member {
	var out []Member
	for _, sm := range m.serf.Members() {
		if sm.Status == serf.StatusAlive {
			out = append(out, toMember(sm))
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// AllMembers returns every member serf knows, whatever its status.
func (m *Membership) AllMembers() []Member {
	sms := m.serf.Members()
	out := make([]Member, len(sms))
	for i, sm := range sms {
		out[i] = toMember(sm)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LocalAddr returns the gossip address peers reach this node at.
func (m *Membership) LocalAddr() string {
	lm := m.serf.LocalMember()
	return net.JoinHostPort(lm.Addr.String(), strconv.Itoa(int(lm.Port)))
}

// Leave announces a graceful departure and waits for it to propagate, then
// shuts down. Peers record the node as "left".
func (m *Membership) Leave() error {
	err := m.serf.Leave()
	return errors.Join(err, m.Shutdown())
}

// Shutdown stops gossip without announcing a departure (peers will detect
// a failure) and joins every goroutine. It is safe to call more than once.
func (m *Membership) Shutdown() error {
	m.shutdown.Do(func() {
		m.cancel()
		m.err = m.serf.Shutdown()
		m.wg.Wait()
	})
	return m.err
}

func toMember(sm serf.Member) Member {
	return Member{
		Name:   sm.Name,
		Addr:   net.JoinHostPort(sm.Addr.String(), strconv.Itoa(int(sm.Port))),
		Tags:   maps(sm.Tags),
		Status: sm.Status.String(),
	}
}

func maps(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// admitter refuses peers the owner's Admit function rejects.
type admitter struct{ m *Membership }

func (a admitter) NotifyMerge(members []*serf.Member) error {
	if a.m.cfg.Admit == nil {
		return nil
	}
	for _, sm := range members {
		if err := a.m.cfg.Admit(toMember(*sm)); err != nil {
			a.m.log.Error("refusing member", "member", sm.Name, "reason", err)
			return fmt.Errorf("member %s refused: %w", sm.Name, err)
		}
	}
	return nil
}
