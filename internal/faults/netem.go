package faults

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Netem delays (and optionally drops) the packets one node sends from its
// RESP port, with tc netem on the loopback device: a prio root qdisc with a
// fourth band that only a u32 filter on the source port reaches, so no
// other loopback traffic is delayed. It is applied only when lo has no root
// qdisc of its own (the default noqueue); Clear restores that.
type Netem struct {
	mu      sync.Mutex
	active  bool
	applied bool // Slow changed lo at least once
}

// ErrNetemUnavailable means tc is missing or lo already has a qdisc.
var ErrNetemUnavailable = errors.New("faults: tc netem unavailable")

// Slow delays every packet sent from port by delay and drops loss percent
// of them.
func (n *Netem) Slow(port int, delay time.Duration, loss float64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := exec.LookPath("tc"); err != nil {
		return fmt.Errorf("%w: %v", ErrNetemUnavailable, err)
	}
	if q := loQdisc(); !strings.HasPrefix(q, "qdisc noqueue 0: root") {
		return fmt.Errorf("%w: lo already has a root qdisc: %s", ErrNetemUnavailable, q)
	}
	n.active, n.applied = true, true
	steps := [][]string{
		{"qdisc", "add", "dev", "lo", "root", "handle", "1:", "prio", "bands", "4",
			"priomap", "1", "2", "2", "2", "1", "2", "0", "0", "1", "1", "1", "1", "1", "1", "1", "1"},
		{"qdisc", "add", "dev", "lo", "parent", "1:4", "handle", "40:", "netem",
			"delay", fmt.Sprintf("%dus", delay.Microseconds()), "loss", strconv.FormatFloat(loss, 'f', 2, 64) + "%"},
		{"filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
			"match", "ip", "sport", strconv.Itoa(port), "0xffff", "flowid", "1:4"},
	}
	for _, s := range steps {
		if err := tc(s...); err != nil {
			err = errors.Join(err, n.clear())
			if strings.Contains(err.Error(), "kind is unknown") {
				return fmt.Errorf("%w: this kernel lacks a qdisc: %v", ErrNetemUnavailable, err)
			}
			return err
		}
	}
	return nil
}

// Clear removes the qdiscs Slow added. Safe to call when none is active.
func (n *Netem) Clear() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clear()
}

func (n *Netem) clear() error {
	if !n.active {
		return nil
	}
	n.active = false
	if strings.HasPrefix(loQdisc(), "qdisc noqueue 0: root") {
		return nil // nothing was added
	}
	return tc("qdisc", "del", "dev", "lo", "root")
}

// Leftover describes what Slow left on lo ("" when lo is back to its
// default noqueue, or was never changed).
func (n *Netem) Leftover() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if q := loQdisc(); n.applied && !strings.HasPrefix(q, "qdisc noqueue 0: root") {
		return "tc qdisc on lo: " + q
	}
	return ""
}

func loQdisc() string {
	out, _ := execOutput("tc", "qdisc", "show", "dev", "lo")
	return strings.TrimSpace(out)
}

func tc(args ...string) error {
	out, err := exec.Command("tc", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("faults: tc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
