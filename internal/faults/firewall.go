package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/ringcache/ringcache/internal/launch"
)

// chainPrefix starts the name of every iptables chain the suite creates;
// the rest is the creating process's id, so leftovers of a dead run can be
// told from a live one.
const chainPrefix = "RCFAULT-"

// Firewall cuts loopback traffic between nodes with iptables rules matched
// on each node's user id (see launch.Options.UIDBase). Its rules live in a
// chain of its own, reached by one jump from OUTPUT; Close deletes the jump
// and the chain. Docker's chains are never touched.
type Firewall struct {
	mu    sync.Mutex
	chain string
	open  bool
}

// Traffic selects what a partition cuts.
type Traffic uint8

// Traffic classes; combine with |.
const (
	Gossip Traffic = 1 << iota // serf/memberlist, TCP and UDP
	Peer                       // RESP between nodes (forwarding)
)

// Available says why the suite cannot run here (nil when it can): it needs
// root, for per-node uids and iptables.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("the fault suite needs root (per-node uids, iptables)")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return errors.New("the fault suite needs iptables")
	}
	return nil
}

// NewFirewall removes chains left by dead runs, then creates this
// process's chain and the jump to it.
func NewFirewall() (*Firewall, error) {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil, fmt.Errorf("faults: iptables not found: %w", err)
	}
	sweepDeadChains()
	f := &Firewall{chain: chainPrefix + strconv.Itoa(os.Getpid())}
	if err := ipt("-N", f.chain); err != nil {
		return nil, err
	}
	f.open = true
	if err := ipt("-I", "OUTPUT", "-o", "lo", "-j", f.chain); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Chain returns the name of the firewall's chain.
func (f *Firewall) Chain() string { return f.chain }

// Isolate cuts the given traffic between n and each of others, both ways.
func (f *Firewall) Isolate(n *launch.Node, others []*launch.Node, what Traffic) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.UID == 0 {
		return errors.New("faults: partitions need nodes run under their own uid (launch.Options.UIDBase)")
	}
	for _, o := range others {
		for _, pair := range [][2]*launch.Node{{n, o}, {o, n}} {
			if err := f.drop(pair[0], pair[1], what); err != nil {
				return err
			}
		}
	}
	return nil
}

// drop adds rules dropping what from's process sends to to's ports.
func (f *Firewall) drop(from, to *launch.Node, what Traffic) error {
	uid := strconv.Itoa(int(from.UID))
	var rules [][]string
	if what&Gossip != 0 {
		gp := strconv.Itoa(to.GossipPort())
		rules = append(rules, []string{"-p", "udp", "--dport", gp}, []string{"-p", "tcp", "--dport", gp})
	}
	if what&Peer != 0 {
		rules = append(rules, []string{"-p", "tcp", "--dport", strconv.Itoa(to.Port())})
	}
	for _, r := range rules {
		args := append([]string{"-A", f.chain, "-m", "owner", "--uid-owner", uid}, r...)
		if err := ipt(append(args, "-j", "DROP")...); err != nil {
			return err
		}
	}
	return nil
}

// Heal removes every rule of the chain (the chain stays until Close).
func (f *Firewall) Heal() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ipt("-F", f.chain)
}

// Close deletes the jump and the chain. Safe to call twice.
func (f *Firewall) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.open {
		return nil
	}
	f.open = false
	return removeChain(f.chain)
}

func removeChain(chain string) error {
	var errs []error
	for ipt("-D", "OUTPUT", "-o", "lo", "-j", chain) == nil {
	}
	errs = append(errs, ipt("-F", chain), ipt("-X", chain))
	return errors.Join(errs...)
}

// sweepDeadChains removes the chains of runs whose process is gone (a run
// killed with SIGKILL cannot clean up after itself).
func sweepDeadChains() {
	out, err := iptablesS()
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		name, ok := strings.CutPrefix(line, "-N "+chainPrefix)
		if !ok {
			continue
		}
		if pid, err := strconv.Atoi(name); err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
			_ = removeChain(chainPrefix + name)
		}
	}
}

func ipt(args ...string) error {
	out, err := exec.Command("iptables", append([]string{"-w", "5"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("faults: iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}
