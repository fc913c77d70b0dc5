package membership

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Partition cuts a node's gossip in both directions while it is set: every
// packet the node sends or receives is dropped and every gossip connection
// it dials or accepts fails, while its RESP port stays reachable. It is a
// fault-injection hook for tests, installed only through Config.Partition;
// production configs leave that nil and gossip over memberlist's own
// transport. Its methods are safe for concurrent use.
type Partition struct{ cut atomic.Bool }

// Cut starts (true) or heals (false) the partition.
func (p *Partition) Cut(cut bool) { p.cut.Store(cut) }

// IsCut reports whether the partition is in force.
func (p *Partition) IsCut() bool { return p.cut.Load() }

var errCut = errors.New("membership: gossip cut by a test partition")

// cutTransport wraps memberlist's network transport with a Partition.
type cutTransport struct {
	*memberlist.NetTransport
	p       *Partition
	packets chan *memberlist.Packet
	streams chan net.Conn
	stop    chan struct{} // closed when Shutdown begins
	dead    chan struct{} // closed once the network transport stopped
	once    sync.Once
	wg      sync.WaitGroup
}

// newCutTransport binds memberlist's transport on addr:port and filters it
// through p. It returns the port bound (port 0 picks a free one).
func newCutTransport(p *Partition, addr string, port int, log *slog.Logger) (*cutTransport, int, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{addr}, BindPort: port,
		Logger: newStdLogger(log)})
	if err != nil {
		return nil, 0, err
	}
	t := &cutTransport{NetTransport: nt, p: p, packets: make(chan *memberlist.Packet),
		streams: make(chan net.Conn), stop: make(chan struct{}), dead: make(chan struct{})}
	t.wg.Add(2)
	go t.pumpPackets()
	go t.pumpStreams()
	return t, nt.GetAutoBindPort(), nil
}

// pumpPackets passes the network's packets on unless cut. After Shutdown
// began it drops them, so the network transport's listeners never block on
// a send while it waits for them.
func (t *cutTransport) pumpPackets() {
	defer t.wg.Done()
	for {
		select {
		case <-t.dead:
			return
		case pk := <-t.NetTransport.PacketCh():
			if !t.p.IsCut() {
				select {
				case t.packets <- pk:
				case <-t.stop:
				}
			}
		}
	}
}

// pumpStreams does for connections what pumpPackets does for packets.
func (t *cutTransport) pumpStreams() {
	defer t.wg.Done()
	for {
		select {
		case <-t.dead:
			return
		case c := <-t.NetTransport.StreamCh():
			if t.p.IsCut() {
				c.Close()
				continue
			}
			select {
			case t.streams <- c:
			case <-t.stop:
				c.Close()
			}
		}
	}
}

func (t *cutTransport) PacketCh() <-chan *memberlist.Packet { return t.packets }
func (t *cutTransport) StreamCh() <-chan net.Conn           { return t.streams }

// WriteTo drops the packet silently while cut, as a lossy network would.
func (t *cutTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if t.p.IsCut() {
		return time.Now(), nil
	}
	return t.NetTransport.WriteTo(b, addr)
}

func (t *cutTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if t.p.IsCut() {
		return nil, errCut
	}
	return t.NetTransport.DialTimeout(addr, timeout)
}

// WriteToAddress and DialAddressTimeout shadow the network transport's
// node-aware methods, which memberlist prefers, so they are filtered too.
func (t *cutTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

func (t *cutTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

var _ memberlist.NodeAwareTransport = (*cutTransport)(nil)

// Shutdown stops the network transport, then the pumps. Safe to call twice.
func (t *cutTransport) Shutdown() error {
	var err error
	t.once.Do(func() {
		close(t.stop)
		err = t.NetTransport.Shutdown()
		close(t.dead)
		t.wg.Wait()
	})
	return err
}
