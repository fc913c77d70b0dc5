package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/internal/faults"
)

// cmdFaults runs the fault suite (internal/faults, docs/faults.md) and
// writes report.txt and report.json into -out. Interrupting it (SIGINT,
// SIGTERM) cancels the running scenario, which removes its rules, qdiscs
// and processes before the command exits.
func cmdFaults(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	cfg := faults.DefaultConfig()
	scenario := fs.String("scenario", "all", "scenario name, comma-separated names, or all")
	lan := fs.String("lan", "", "comma-separated scenarios to run a second time with LAN gossip timers (e.g. crash-primary)")
	fs.StringVar(&cfg.Binary, "bin", "bin/cacheserver", "cacheserver binary")
	fs.StringVar(&cfg.Dir, "out", "bench/results/"+time.Now().UTC().Format("20060102T150405Z")+"-faults", "directory for the report and node logs")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "workload before the fault")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "workload after recovery")
	fs.DurationVar(&cfg.Hold, "hold", cfg.Hold, "how long a fault lasts once the cluster reacted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	scs, err := pickScenarios(*scenario)
	if err != nil {
		return err
	}
	cfg.SDK, cfg.Log = openSDK, out
	// Dial failures to killed nodes are the point of the run, not news.
	redis.SetLogger(&logging.VoidLogger{})
	var results []faults.Result
	for _, sc := range scs {
		results = append(results, faults.Run(ctx, cfg, sc))
	}
	lanScs, err := pickScenarios(*lan)
	if err != nil {
		return err
	}
	for _, sc := range lanScs {
		lc := cfg
		lc.LANGossip, lc.Bounds = true, faults.LANBounds
		sc.MaxUnavailable *= 2
		r := faults.Run(ctx, lc, sc)
		r.Scenario += " (lan)"
		results = append(results, r)
	}
	fmt.Fprintln(out)
	faults.WriteTable(out, results)
	if err := faults.WriteFiles(cfg.Dir, results); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nreport:", filepath.Join(cfg.Dir, "report.txt"))
	var bad []string
	for _, r := range results {
		if r.Bad() {
			bad = append(bad, r.Scenario+" "+r.Verdict)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("faults: %s", strings.Join(bad, ", "))
	}
	return nil
}

func pickScenarios(list string) ([]faults.Scenario, error) {
	if list == "" {
		return nil, nil
	}
	if list == "all" {
		return faults.Scenarios(), nil
	}
	var out []faults.Scenario
	for _, name := range strings.Split(list, ",") {
		sc, err := faults.Find(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// sdkTarget adapts the SDK to the fault suite's workload.
type sdkTarget struct{ c *client.Client }

func openSDK(ctx context.Context, seeds []string, load faults.Loader) (faults.Target, error) {
	cfg := client.DefaultConfig()
	cfg.Seeds = slices.Clone(seeds)
	cfg.RefreshInterval = time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if load != nil {
		cfg.Loader = client.LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			b, err := load(ctx, key)
			if errors.Is(err, faults.ErrOriginNotFound) {
				return nil, client.ErrNotFound
			}
			return b, err
		})
	}
	c, err := client.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return sdkTarget{c}, nil
}

func (s sdkTarget) Get(ctx context.Context, key string) (string, bool, string, error) {
	res, err := s.c.Get(ctx, key)
	tier := ""
	if res.Tier == client.TierL1 {
		tier = "l1"
	}
	if errors.Is(err, client.ErrNotFound) {
		return "", false, tier, nil
	}
	return string(res.Value), err == nil, tier, err
}

func (s sdkTarget) Set(ctx context.Context, key, val string) error {
	return s.c.Set(ctx, key, []byte(val), client.WithTTL(0))
}

func (s sdkTarget) Del(ctx context.Context, key string) error { return s.c.Delete(ctx, key) }

func (s sdkTarget) Close() error { return s.c.Close() }
