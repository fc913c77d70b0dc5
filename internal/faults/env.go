package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/launch"
)

// Env is what a scenario acts on.
type Env struct {
	C      *launch.Cluster
	FW     *Firewall
	Netem  *Netem
	Origin *Origin
	// Victim is the node the fault hits: the second node, never the one the
	// plain go-redis client is connected to.
	Victim *launch.Node
	// Hold is how long a fault lasts once the cluster has reacted to it.
	Hold time.Duration

	mu         sync.Mutex
	start      time.Time
	faultStart time.Time
	faultEnd   time.Time
	events     []string
	log        io.Writer
}

// Start marks the start of the fault.
func (env *Env) Start(what string) {
	env.mu.Lock()
	env.faultStart = time.Now()
	env.mu.Unlock()
	env.Note(what)
}

// End marks the end of the fault (the cluster has recovered).
func (env *Env) End(what string) {
	env.mu.Lock()
	env.faultEnd = time.Now()
	env.mu.Unlock()
	env.Note(what)
}

// Note records a timeline event.
func (env *Env) Note(what string) {
	env.mu.Lock()
	defer env.mu.Unlock()
	e := fmt.Sprintf("%7.3fs %s", time.Since(env.start).Seconds(), what)
	env.events = append(env.events, e)
	fmt.Fprintln(env.log, "  ", e)
}

func (env *Env) window() (time.Time, time.Time) {
	env.mu.Lock()
	defer env.mu.Unlock()
	s, e := env.faultStart, env.faultEnd
	if s.IsZero() {
		s = time.Now()
	}
	if e.IsZero() || e.Before(s) {
		e = time.Now()
	}
	return s, e
}

// Origin is a fake origin for the SDK: each read-only key "ro:i" holds
// "origin:ro:i", forever; other keys are not found (ErrOriginNotFound);
// every load fails while it is down.
type Origin struct {
	down  atomic.Bool
	loads atomic.Int64
}

// Origin errors.
var (
	ErrOriginDown     = errors.New("faults: origin down")
	ErrOriginNotFound = errors.New("faults: origin has no such key")
)

// SetDown takes the origin down or brings it back.
func (o *Origin) SetDown(down bool) { o.down.Store(down) }

// Load implements Loader.
func (o *Origin) Load(_ context.Context, key string) ([]byte, error) {
	if o.down.Load() {
		return nil, ErrOriginDown
	}
	if !strings.HasPrefix(key, "ro:") {
		return nil, ErrOriginNotFound
	}
	o.loads.Add(1)
	return []byte(OriginValue(key)), nil
}

// OriginValue is the value the origin holds for key.
func OriginValue(key string) string { return "origin:" + key }

// uidBase is the first user id of this process's nodes: 16 ids per
// process, far above ordinary accounts.
func uidBase() uint32 { return 200_000 + uint32(os.Getpid()%100_000)*16 }

// Leftovers lists what a run left behind: rules in chain, a qdisc of
// netem, processes running under the run's user ids. Network namespaces
// are not used by the suite.
func Leftovers(chain string, netem *Netem) []string {
	var out []string
	if rules, err := iptablesS(); err != nil {
		out = append(out, "cannot list iptables rules: "+err.Error())
	} else {
		for _, l := range strings.Split(rules, "\n") {
			if chain != "" && strings.Contains(l, chain) {
				out = append(out, "iptables: "+l)
			}
		}
	}
	if netem != nil {
		if q := netem.Leftover(); q != "" {
			out = append(out, q)
		}
	}
	for _, pid := range processesOf(uidBase(), uidBase()+16) {
		out = append(out, fmt.Sprintf("process %d still running under a node uid", pid))
	}
	return out
}

func iptablesS() (string, error) {
	out, err := execOutput("iptables", "-w", "5", "-S")
	return out, err
}

// processesOf returns the pids of processes whose real uid is in [lo, hi).
func processesOf(lo, hi uint32) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
				if uid, err := strconv.Atoi(f[1]); err == nil && uint32(uid) >= lo && uint32(uid) < hi {
					pids = append(pids, pid)
				}
			}
		}
	}
	return pids
}
