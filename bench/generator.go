package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// GeneratorStats is the load generator's own side of a run: how much CPU
// this process used, how busy the whole machine was, and (open loop) how
// late workers that were free woke up for their slot. On a machine shared
// by the generator and the servers, a sweep step that fails because the
// generator was starved says nothing about the servers.
type GeneratorStats struct {
	// CPUCores is this process's CPU time over the run's wall time
	// (warm-up included), in cores.
	CPUCores float64 `json:"cpu_cores"`
	// MachineBusy is the fraction of all cores' time not idle over the run,
	// every process on the machine counted (/proc/stat).
	MachineBusy float64 `json:"machine_busy"`
	// Cores is the number of CPUs the machine has.
	Cores int `json:"cores"`
	// WakeLag (open loop) is how late a worker that was waiting for its
	// slot's time started the request: timer and scheduler delay of this
	// process alone, independent of the server.
	WakeLag *LatencySummary `json:"wake_lag,omitempty"`
}

// hostSample is the generator's and the machine's CPU counters at a moment.
type hostSample struct {
	at         time.Time
	selfCPU    float64 // seconds
	busy, idle int64   // jiffies over all CPUs
	ok         bool
}

func sampleHost() hostSample {
	s := hostSample{at: time.Now()}
	cpu, _, err := ProcStats(os.Getpid())
	busy, idle, err2 := machineJiffies()
	s.selfCPU, s.busy, s.idle, s.ok = cpu, busy, idle, err == nil && err2 == nil
	return s
}

// machineJiffies reads the aggregate "cpu" line of /proc/stat: busy
// (user+nice+system+irq+softirq+steal) and idle (idle+iowait) jiffies.
func machineJiffies() (busy, idle int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("bench: unexpected /proc/stat line %q", line)
	}
	v := make([]int64, 8)
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	// user nice system idle iowait irq softirq steal
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], v[3] + v[4], nil
}

// generatorStats compares two samples and adds the wake-up lags (nil when
// /proc could not be read).
func generatorStats(a, b hostSample, wake *hdrhistogram.Histogram) *GeneratorStats {
	wall := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || wall <= 0 {
		return nil
	}
	g := &GeneratorStats{CPUCores: (b.selfCPU - a.selfCPU) / wall, Cores: runtime.NumCPU()}
	if wake.TotalCount() > 0 {
		w := Summarize(wake)
		g.WakeLag = &w
	}
	if total := (b.busy - a.busy) + (b.idle - a.idle); total > 0 {
		g.MachineBusy = float64(b.busy-a.busy) / float64(total)
	}
	return g
}

// Thresholds of GeneratorVerdict.
const (
	// saturatedBusy: the machine's cores were this busy or more.
	saturatedBusy = 0.9
	// wakeLagShare: a free worker woke this share of the SLO late or more.
	wakeLagShare = 0.5
)

// GeneratorVerdict says why r's figures measure the load generator (or
// the machine it shares with the servers) rather than the servers, or ""
// when nothing shows that. slo is the latency bound r was judged by. The
// generator was the bottleneck when its own workers woke late for their
// slot by half the SLO or more (at p99), or when the machine's cores were
// saturated and the generator used at least as much CPU as all servers
// together.
func GeneratorVerdict(r *Result, slo time.Duration) string {
	g := r.Generator
	if g == nil {
		return ""
	}
	if g.WakeLag != nil && float64(g.WakeLag.P99Us) >= wakeLagShare*float64(slo.Microseconds()) {
		return fmt.Sprintf("its workers woke %dµs late at p99 (SLO %dµs)", g.WakeLag.P99Us, slo.Microseconds())
	}
	var servers float64
	for _, n := range r.Nodes {
		servers += n.CPUSeconds
	}
	if wall := r.DurationSec + max(r.Load.Warmup, 0).Seconds(); wall > 0 {
		servers /= wall
	}
	if g.MachineBusy >= saturatedBusy && g.CPUCores >= servers {
		return fmt.Sprintf("the %d cores were %.0f%% busy and the generator used %.2f cores, the servers %.2f",
			g.Cores, 100*g.MachineBusy, g.CPUCores, servers)
	}
	return ""
}

// generatorLine is the summary line of g.
func generatorLine(name string, g *GeneratorStats) string {
	s := fmt.Sprintf("  %s generator: %.2f cores; machine %.0f%% busy of %d cores", name, g.CPUCores, 100*g.MachineBusy, g.Cores)
	if g.WakeLag != nil {
		s += fmt.Sprintf("; worker wake-up lag p50 %dµs p99 %dµs", g.WakeLag.P50Us, g.WakeLag.P99Us)
	}
	return s
}
