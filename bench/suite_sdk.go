package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// DefaultSuiteSDK is the suite's sdk step: YCSB C over 100000 records
// through the Go SDK with L1 on, then off, each from a cold cluster, over
// an embedded SQLite origin; 16 workers, 4 s after a 1 s warm-up. Its
// cluster is a 3-node ringcache cluster of the suite's cacheserver binary
// (Seeds empty), started once; each mode starts after FLUSHALL.
func DefaultSuiteSDK() *SDKRunConfig {
	w, _ := YCSB("c")
	return &SDKRunConfig{Workload: w, L1: []bool{true, false}, Env: SDKEnvConfig{ClusterNodes: 3},
		Load: LoadConfig{Model: "closed", Concurrency: 16, Duration: 4 * time.Second, Warmup: time.Second}}
}

// suiteSDK runs the sdk step; a failure to set it up becomes a note.
func suiteSDK(ctx context.Context, cfg SuiteConfig, rep *SuiteReport, prog *suiteProgress) error {
	if cfg.SDK == nil {
		return nil
	}
	prog.step("sdk", fmt.Sprintf("Go SDK step: YCSB-C through the SDK, L1 %s, SQLite origin (starts its own cluster)", l1Modes(cfg.SDK.L1)))
	sc := *cfg.SDK
	sc.Workload.Records = cfg.Records
	sc.Env.Dir, sc.Progress = filepath.Join(cfg.Out, "sdk"), cfg.Progress
	if sc.Env.RedisBin == "" {
		sc.Env.RedisBin = cfg.RedisBin
	}
	if sc.Env.CacheserverBin == "" {
		sc.Env.CacheserverBin = cfg.CacheserverBin
	}
	rs, note, err := RunSDK(ctx, sc)
	rep.SDKRuns = append(rep.SDKRuns, rs...)
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	return suiteStepError(ctx, cfg, rep, "sdk", err)
}

// suiteHitRatio runs the hit-ratio step; a failure becomes a note.
func suiteHitRatio(ctx context.Context, cfg SuiteConfig, rep *SuiteReport, prog *suiteProgress) error {
	if cfg.HitRatio == nil {
		return nil
	}
	hc := *cfg.HitRatio
	hc.Dir, hc.RedisBin, hc.CacheserverBin = filepath.Join(cfg.Out, "hitratio"), cfg.RedisBin, cfg.CacheserverBin
	prog.step("hitratio", fmt.Sprintf("cache-aside hit-ratio replay: %d reads, redis-server vs cacheserver, %d runs",
		hc.Requests, 2*len(hc.Budgets)*len(hc.Policies)))
	hr, err := RunHitRatio(ctx, hc)
	rep.HitRatio = hr
	return suiteStepError(ctx, cfg, rep, "hit ratio", err)
}

func l1Modes(l1 []bool) string {
	var s []string
	for _, on := range l1 {
		s = append(s, map[bool]string{true: "on", false: "off"}[on])
	}
	return strings.Join(s, " then ")
}

// suiteStepError keeps the suite going past a step that failed (noted),
// unless ctx ended.
func suiteStepError(ctx context.Context, cfg SuiteConfig, rep *SuiteReport, step string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s step incomplete: %v", step, err))
	cfg.Logger.Warn("suite step failed", "step", step, "err", err)
	return nil
}

func writeSuiteSDKSummary(w io.Writer, rep *SuiteReport) {
	if len(rep.SDKRuns) > 0 {
		fmt.Fprintln(w, "\n== Go SDK, L1 on and off, SQLite origin (closed loop) ==")
		_ = WriteSummary(w, rep.SDKRuns)
	}
	if rep.HitRatio != nil && len(rep.HitRatio.Runs) > 0 {
		fmt.Fprintln(w, "\n== cache-aside hit ratio, redis-server vs ringcache ==")
		_ = WriteHitRatioSummary(w, rep.HitRatio)
	}
}
