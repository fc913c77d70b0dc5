package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
)

// HitRatioConfig is a cache-aside replay: the same Zipfian trace of reads,
// each miss followed by a SET of the key, against redis-server and
// cacheserver started with the same maxmemory and policy.
type HitRatioConfig struct {
	// Records is the key space (default 100000) and Requests the trace
	// length (default 1000000).
	Records, Requests int64
	// ValueSize is the value length in bytes (default 100).
	ValueSize int
	// Theta is the scrambled-Zipfian constant (default 0.99).
	Theta float64
	// Fraction sizes maxmemory as a fraction of the dataset, Records ×
	// (key + value bytes) (default 0.1).
	Fraction float64
	// Budgets are the ways maxmemory is set, each run in turn: "same"
	// (both servers get exactly Fraction of the dataset, so Redis's ~1 MB
	// of fixed overhead counts against its budget) and "above-empty" (each
	// server gets its own used_memory when empty plus Fraction of the
	// dataset). Default both.
	Budgets []string
	// Policies are the maxmemory-policy values tried (default allkeys-lfu,
	// allkeys-lru).
	Policies []string
	// Pipeline is how many GETs are sent per round trip (default 100); the
	// misses of a batch are then SET in one round trip. Both servers see
	// the identical command sequence.
	Pipeline int
	// Seed fixes the trace (default 1).
	Seed uint64
	// RedisBin and CacheserverBin are started in Dir (defaults
	// "redis-server", "bin/cacheserver"); Dir is required.
	RedisBin, CacheserverBin, Dir string
}

// DefaultHitRatio returns the defaults documented on HitRatioConfig.
func DefaultHitRatio(dir string) HitRatioConfig {
	return HitRatioConfig{Records: 100000, Requests: 1000000, ValueSize: 100, Theta: 0.99,
		Fraction: 0.1, Budgets: []string{"same", "above-empty"}, Policies: []string{"allkeys-lfu", "allkeys-lru"}, Pipeline: 100, Seed: 1,
		RedisBin: "redis-server", CacheserverBin: "bin/cacheserver", Dir: dir}
}

// Validate reports the first problem with the configuration.
func (c HitRatioConfig) Validate() error {
	switch {
	case c.Records < 1 || c.Requests < 2:
		return fmt.Errorf("bench: hitratio records %d requests %d", c.Records, c.Requests)
	case c.ValueSize < 1 || c.Pipeline < 1 || len(c.Policies) == 0:
		return errors.New("bench: hitratio needs a value size, a pipeline depth and a policy")
	case !(c.Fraction > 0 && c.Fraction <= 1):
		return fmt.Errorf("bench: hitratio fraction %v not in (0, 1]", c.Fraction)
	case c.Dir == "":
		return errors.New("bench: hitratio needs a directory")
	case len(c.Budgets) == 0:
		return errors.New("bench: hitratio needs a budget mode")
	}
	for _, b := range c.Budgets {
		if b != "same" && b != "above-empty" {
			return fmt.Errorf("bench: hitratio budget %q (want same or above-empty)", b)
		}
	}
	_, err := NewZipfian(c.Records, c.Theta)
	return err
}

// DatasetBytes is Records × (key + value bytes).
func (c HitRatioConfig) DatasetBytes() int64 {
	return c.Records * int64(len(KeyName(0))+c.ValueSize)
}

// HitRatioRun is one server and policy replaying the trace. Warm is the
// hit ratio of the trace's second half. Memory figures are read at the end.
type HitRatioRun struct {
	Server          string  `json:"server"`
	Policy          string  `json:"policy"`
	Budget          string  `json:"budget"`
	MaxMemory       int64   `json:"maxmemory_bytes"`
	EmptyUsedMemory int64   `json:"empty_used_memory_bytes"`
	Requests        int64   `json:"requests"`
	Hits            int64   `json:"hits"`
	HitRatio        float64 `json:"hit_ratio"`
	WarmHitRatio    float64 `json:"warm_hit_ratio"`
	UsedMemory      int64   `json:"used_memory_bytes"`
	RSS             int64   `json:"rss_bytes"`
	Keys            int64   `json:"keys"`
	Evicted         int64   `json:"evicted_keys"`
	DurationSec     float64 `json:"duration_sec"`
	// Windows is the hit ratio of each successive hitRatioWindows-th of
	// the trace, to plot how each cache warms up and settles.
	Windows []float64 `json:"window_hit_ratios,omitempty"`
}

// hitRatioWindows is how many parts of the trace HitRatioRun.Windows has.
const hitRatioWindows = 50

// HitRatioReport is the comparison, runs in the order performed.
type HitRatioReport struct {
	Config       HitRatioConfig `json:"config"`
	DatasetBytes int64          `json:"dataset_bytes"`
	Runs         []HitRatioRun  `json:"runs"`
}

// RunHitRatio replays the trace against a fresh redis-server and a fresh
// cacheserver for each budget mode and policy, one at a time.
func RunHitRatio(ctx context.Context, cfg HitRatioConfig) (*HitRatioReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	trace, err := hitRatioTrace(cfg)
	if err != nil {
		return nil, err
	}
	rep := &HitRatioReport{Config: cfg, DatasetBytes: cfg.DatasetBytes()}
	for _, budget := range cfg.Budgets {
		for _, pol := range cfg.Policies {
			for _, server := range []string{"redis", "ringcache"} {
				run := HitRatioRun{Server: server, Policy: pol, Budget: budget}
				if err := hitRatioOne(ctx, cfg, &run, trace); err != nil {
					return rep, fmt.Errorf("bench: hitratio %s %s %s: %w", server, pol, budget, err)
				}
				rep.Runs = append(rep.Runs, run)
			}
		}
	}
	return rep, nil
}

// hitRatioTrace draws the key sequence once, so every server replays the
// same one.
func hitRatioTrace(cfg HitRatioConfig) ([]string, error) {
	z, err := NewZipfian(cfg.Records, cfg.Theta)
	if err != nil {
		return nil, err
	}
	d := ScrambledZipfian{Z: z}
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	names := make(map[int64]string)
	out := make([]string, cfg.Requests)
	for i := range out {
		k := d.Next(r, cfg.Records)
		if names[k] == "" {
			names[k] = KeyName(k)
		}
		out[i] = names[k]
	}
	return out, nil
}

// hitRatioOne starts the server run names, sets its budget, replays the
// trace and fills in run.
func hitRatioOne(ctx context.Context, cfg HitRatioConfig, run *HitRatioRun, trace []string) error {
	run.MaxMemory = int64(cfg.Fraction * float64(cfg.DatasetBytes()))
	args := []string{"--maxmemory", strconv.FormatInt(run.MaxMemory, 10), "--maxmemory-policy", run.Policy}
	dir := filepath.Join(cfg.Dir, "servers")
	var p *Process
	var err error
	if run.Server == "redis" {
		p, err = StartRedis(ctx, cfg.RedisBin, dir, args...)
	} else {
		p, err = StartCacheserver(ctx, cfg.CacheserverBin, dir, args...)
	}
	if err != nil {
		return err
	}
	defer p.Stop(5 * time.Second)
	c := redis.NewClient(&redis.Options{Addr: p.Addr, DisableIdentity: true, Protocol: 2,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, PoolSize: 1})
	defer c.Close()
	if run.EmptyUsedMemory, err = usedMemory(ctx, c); err != nil {
		return err
	}
	if run.Budget == "above-empty" {
		run.MaxMemory += run.EmptyUsedMemory
		if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(run.MaxMemory, 10)).Err(); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := replay(ctx, c, cfg, trace, run); err != nil {
		return err
	}
	run.DurationSec = time.Since(start).Seconds()
	return finishHitRatioRun(ctx, c, p, run)
}

// replay sends the trace in batches: GET × Pipeline, then SET for the
// batch's misses.
func replay(ctx context.Context, c *redis.Client, cfg HitRatioConfig, trace []string, run *HitRatioRun) error {
	value := make([]byte, cfg.ValueSize)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	half := int64(len(trace)) / 2
	var warmHits int64
	win, tot := make([]int64, hitRatioWindows), make([]int64, hitRatioWindows)
	for i := 0; i < len(trace); i += cfg.Pipeline {
		batch := trace[i:min(i+cfg.Pipeline, len(trace))]
		hits, missed, err := getBatch(ctx, c, batch)
		if err != nil {
			return err
		}
		for j, hit := range hits {
			k := (i + j) * hitRatioWindows / len(trace)
			tot[k]++
			if hit {
				run.Hits++
				win[k]++
				if int64(i+j) >= half {
					warmHits++
				}
			}
		}
		if err := setBatch(ctx, c, missed, value); err != nil {
			return err
		}
	}
	run.Requests = int64(len(trace))
	run.HitRatio = float64(run.Hits) / float64(run.Requests)
	run.WarmHitRatio = float64(warmHits) / float64(int64(len(trace))-half)
	run.Windows = make([]float64, hitRatioWindows)
	for k, h := range win {
		if tot[k] > 0 {
			run.Windows[k] = float64(h) / float64(tot[k])
		}
	}
	return nil
}

// getBatch GETs keys in one pipeline and reports which hit and the keys
// that missed.
func getBatch(ctx context.Context, c *redis.Client, keys []string) ([]bool, []string, error) {
	p := c.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for j, k := range keys {
		cmds[j] = p.Get(ctx, k)
	}
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, err
	}
	hits := make([]bool, len(keys))
	var missed []string
	for j, cmd := range cmds {
		switch err := cmd.Err(); {
		case err == nil:
			hits[j] = true
		case errors.Is(err, redis.Nil):
			missed = append(missed, keys[j])
		default:
			return nil, nil, err
		}
	}
	return hits, missed, nil
}

func setBatch(ctx context.Context, c *redis.Client, keys []string, value []byte) error {
	if len(keys) == 0 {
		return nil
	}
	p := c.Pipeline()
	for _, k := range keys {
		p.Set(ctx, k, value, 0)
	}
	_, err := p.Exec(ctx)
	return err
}

func usedMemory(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO memory: %w", err)
	}
	return strconv.ParseInt(parseInfo(info)["used_memory"], 10, 64)
}

// finishHitRatioRun reads used_memory, evicted_keys, DBSIZE and RSS.
func finishHitRatioRun(ctx context.Context, c *redis.Client, p *Process, run *HitRatioRun) error {
	info, err := c.Info(ctx, "memory", "stats").Result()
	if err != nil {
		return fmt.Errorf("INFO: %w", err)
	}
	f := parseInfo(info)
	run.UsedMemory, _ = strconv.ParseInt(f["used_memory"], 10, 64)
	run.Evicted, _ = strconv.ParseInt(f["evicted_keys"], 10, 64)
	if run.Keys, err = c.DBSize(ctx).Result(); err != nil {
		return fmt.Errorf("DBSIZE: %w", err)
	}
	_, run.RSS, err = ProcStats(p.PID())
	return err
}

// WriteHitRatioSummary writes the comparison as a table.
func WriteHitRatioSummary(w io.Writer, rep *HitRatioReport) error {
	c := rep.Config
	fmt.Fprintf(w, "cache-aside replay: %d reads, scrambled Zipf θ=%.2f over %d keys of %d B (dataset %.1f MiB); budget %.0f%% of the dataset\n",
		c.Requests, c.Theta, c.Records, c.ValueSize, mib(rep.DatasetBytes), 100*c.Fraction)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "budget\tserver\tpolicy\tmaxmemory MiB\thit %\twarm hit %\tkeys\tevicted\tused_memory MiB\tempty used MiB\tRSS MiB\tsecs\t")
	for _, r := range rep.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%d\t%d\t%.2f\t%.2f\t%.1f\t%.1f\t\n", r.Budget, r.Server, r.Policy,
			mib(r.MaxMemory), 100*r.HitRatio, 100*r.WarmHitRatio, r.Keys, r.Evicted, mib(r.UsedMemory),
			mib(r.EmptyUsedMemory), mib(r.RSS), r.DurationSec)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "same: both get maxmemory = the fraction of the dataset; above-empty: each gets its empty used_memory on top.\n"+
		"warm = second half of the trace. used_memory is each server's own accounting (Redis counts its fixed overhead; ringcache counts the store).")
	return err
}
