package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// Probe samples server-side metrics of the nodes under test: INFO memory
// used_memory, DBSIZE, and, for a process on this machine, CPU seconds and
// RSS from /proc. A node's pid comes from PIDs, or else from INFO server
// process_id when the address is a loopback one. A nil *Probe samples
// nothing.
type Probe struct {
	Addrs []string
	PIDs  map[string]int
}

type nodeSample struct {
	addr      string
	pid       int
	cpu       float64
	rss, used int64
	keys      int64
	note      string
}

func (p *Probe) sample(ctx context.Context) ([]nodeSample, error) {
	if p == nil {
		return nil, nil
	}
	out := make([]nodeSample, len(p.Addrs))
	var errs []error
	for i, a := range p.Addrs {
		s, err := p.sampleNode(ctx, a)
		out[i] = s
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func (p *Probe) sampleNode(ctx context.Context, addr string) (nodeSample, error) {
	s := nodeSample{addr: addr}
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, PoolSize: 1, DisableIdentity: true, Protocol: 2})
	defer c.Close()
	info, err := c.Info(ctx, "server", "memory").Result()
	if err != nil {
		return s, fmt.Errorf("bench: INFO from %s: %w", addr, err)
	}
	fields := parseInfo(info)
	s.used, _ = strconv.ParseInt(fields["used_memory"], 10, 64)
	if s.keys, err = c.DBSize(ctx).Result(); err != nil {
		return s, fmt.Errorf("bench: DBSIZE from %s: %w", addr, err)
	}
	s.pid = p.PIDs[addr]
	if s.pid == 0 && isLoopback(addr) {
		s.pid, _ = strconv.Atoi(fields["process_id"])
	}
	if s.pid == 0 {
		s.note = "no pid: CPU and RSS not measured"
		return s, nil
	}
	if s.cpu, s.rss, err = ProcStats(s.pid); err != nil {
		s.note = err.Error()
	}
	return s, nil
}

func parseInfo(info string) map[string]string {
	m := make(map[string]string)
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && !strings.HasPrefix(k, "#") {
			m[k] = v
		}
	}
	return m
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// ProcStats returns the CPU seconds (user + system) used so far by process
// pid and its resident set size in bytes, from /proc/<pid>/stat and
// /proc/<pid>/status.
func ProcStats(pid int) (cpuSec float64, rssBytes int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may contain spaces: parse after its ')'.
	i := strings.LastIndexByte(string(stat), ')')
	f := strings.Fields(string(stat[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, 0, fmt.Errorf("bench: malformed /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	cpuSec = float64(utime+stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return cpuSec, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return cpuSec, kb * 1024, nil
		}
	}
	return cpuSec, 0, fmt.Errorf("bench: no VmRSS in /proc/%d/status", pid)
}

func nodeMetrics(before, after []nodeSample) []NodeMetrics {
	out := make([]NodeMetrics, 0, len(after))
	for i, a := range after {
		m := NodeMetrics{Addr: a.addr, PID: a.pid, RSSBytes: a.rss, UsedMemoryBytes: a.used,
			Keys: a.keys, Note: a.note}
		if i < len(before) && before[i].pid == a.pid {
			m.CPUSeconds = a.cpu - before[i].cpu
		}
		if a.keys > 0 {
			m.BytesPerKeyUsed = float64(a.used) / float64(a.keys)
			m.BytesPerKeyRSS = float64(a.rss) / float64(a.keys)
		}
		out = append(out, m)
	}
	return out
}
