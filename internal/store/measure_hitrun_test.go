package store_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

var measurePolicies = []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
	"volatile-lfu", "volatile-ttl", "volatile-random", "noeviction"}

// volatileTTL is the TTL every key gets in volatile-* runs, so those
// policies have candidates; it is far longer than any run.
const volatileTTL = time.Hour

// hitSpec reads the trace size: RINGCACHE_MEASURE_KEYS (1,000,000),
// RINGCACHE_MEASURE_REQUESTS (10,000,000), scan = 2 × keys.
func hitSpec(t *testing.T) traceSpec {
	keys := envInt(t, "RINGCACHE_MEASURE_KEYS", 1_000_000)
	reqs := envInt(t, "RINGCACHE_MEASURE_REQUESTS", 10_000_000)
	return traceSpec{keys: uint64(keys), requests: int(reqs), scan: int(2 * keys), seed: 1}
}

// TestMeasureHitRatio replays a cache-aside trace (scrambled Zipf 0.99,
// 10M requests over 1M keys, 100-byte values), alone and with a one-pass
// scan of 2M other keys spread evenly through it, against the store with
// MaxMemory = empty + 10% of the 1M-key dataset, for each of the 8 policies
// (volatile-* with a 1h TTL on every key), plus allkeys-lru/lfu in batches
// of 100 like the Redis runs (opt-in, see below).
//
//	RINGCACHE_MEASURE=1 go test -count=1 -run 'TestMeasureHitRatio$' -v -timeout 30m ./internal/store/
//
// RINGCACHE_MEASURE_POLICIES=allkeys-lru,allkeys-lfu runs a subset;
// RINGCACHE_MEASURE_BATCHED=1 adds the batch-100 rows.
func TestMeasureHitRatio(t *testing.T) {
	requireMeasure(t)
	sp := hitSpec(t)
	policies := measurePolicies
	if s := os.Getenv("RINGCACHE_MEASURE_POLICIES"); s != "" {
		policies = strings.Split(s, ",")
	}
	var batched []string
	if os.Getenv("RINGCACHE_MEASURE_BATCHED") == "1" {
		batched = []string{"allkeys-lru", "allkeys-lfu"}
	}
	rows := storeHitRows(t, sp, policies, batched)
	logHitRows(t, rows)
}

// TestMeasureHitRatioRedis replays the same traces against redis-server
// with maxmemory = empty + 10% of its own 1M-key dataset, allkeys-lru and
// allkeys-lfu, pipelined in batches of 100 (GETs, then SETs of the misses).
//
//	RINGCACHE_MEASURE=1 go test -count=1 -run 'TestMeasureHitRatioRedis$' -v -timeout 30m ./internal/store/
func TestMeasureHitRatioRedis(t *testing.T) {
	requireMeasure(t)
	sp := hitSpec(t)
	rows := redisHitRows(t, sp, []string{"allkeys-lru", "allkeys-lfu"}, 100)
	logHitRows(t, rows)
}

// TestMeasureHitRatioHarness is the always-on check: a tiny trace through
// an allkeys, a volatile (TTL) and the noeviction (OOM) path, batched, and
// through Redis. It is small because eviction is slow under -race.
func TestMeasureHitRatioHarness(t *testing.T) {
	sp := traceSpec{keys: 20_000, requests: 8000, scan: 2000, seed: 3}
	rows := storeHitRows(t, sp, []string{"allkeys-lru", "volatile-lfu", "noeviction"}, []string{"allkeys-lru"})
	rows = append(rows, redisHitRows(t, sp, []string{"allkeys-lru"}, 100)...)
	for _, r := range rows {
		if r.res.ZipfReqs != int64(sp.requests) || r.res.ScanReqs != int64(r.scan) {
			t.Errorf("%s %s: %+v, want %d Zipf and %d scan requests", r.name, r.trace, r.res, sp.requests, r.scan)
		}
		if r.res.ZipfHits <= 0 || r.res.ZipfHits >= r.res.ZipfReqs {
			t.Errorf("%s %s: %d hits of %d: want some hits and some misses", r.name, r.trace, r.res.ZipfHits, r.res.ZipfReqs)
		}
	}
	logHitRows(t, rows)
}

// storeHitRows runs every policy on both traces with batch 1, and the
// batched policies with batch 100.
func storeHitRows(t *testing.T, sp traceSpec, policies, batched []string) []hitRow {
	t.Helper()
	p := newZipfParams(sp.keys, 0.99)
	empty, full := storeDataset(t, sp.keys)
	budget := empty + (full-empty)/10
	t.Logf("store: used memory empty %d B, %d keys %d B (%.1f B/key); MaxMemory %d B; ideal static hit ratio for %d keys %.2f%%",
		empty, sp.keys, full, float64(full-empty)/float64(sp.keys), budget, sp.keys/10, 100*idealHitRatio(p, int(sp.keys/10)))
	traces := map[int][]uint32{}
	for _, scan := range []int{0, sp.scan} {
		traces[scan] = buildTrace(traceSpec{keys: sp.keys, requests: sp.requests, scan: scan, seed: sp.seed}, p)
	}
	var rows []hitRow
	run := func(pol string, batch int) {
		for _, scan := range []int{0, sp.scan} {
			rows = append(rows, storeTraceRun(t, traces[scan], scan, budget, pol, batch))
			logHitRows(t, rows[len(rows)-1:])
		}
	}
	for _, pol := range policies {
		run(pol, 1)
	}
	for _, pol := range batched {
		run(pol, 100)
	}
	return rows
}

// storeDataset returns Stats.UsedMemory of an empty store and of one
// holding keys "key:%012d" → 100-byte values.
func storeDataset(t *testing.T, keys uint64) (empty, full int64) {
	t.Helper()
	s := newMeasureStore(t, 0, store.AllKeysLRU)
	empty = s.Stats().UsedMemory
	if err := loadStore(s, "key:", 0, keys, store.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	return empty, s.Stats().UsedMemory
}

func newMeasureStore(t *testing.T, maxMemory int64, pol store.Policy) *store.Store {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.MaxMemory, cfg.Policy = maxMemory, pol
	s, err := store.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func storeTraceRun(t *testing.T, tr []uint32, scan int, budget int64, policy string, batch int) hitRow {
	t.Helper()
	pol, err := store.ParsePolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	s := newMeasureStore(t, budget, pol)
	c := &storeCache{s: s}
	if strings.HasPrefix(policy, "volatile") {
		c.o.TTL = volatileTTL
	}
	start := time.Now()
	res, err := replay(c, tr, batch)
	if err != nil {
		t.Fatalf("%s: %v", policy, err)
	}
	st := s.Stats()
	return hitRow{name: "ours " + policy, trace: traceName(scan), scan: scan, batch: batch, res: res, took: time.Since(start),
		evicted: st.EvictedKeys, keysEnd: st.Keys, oom: c.oom}
}

// redisHitRows measures Redis's dataset once, then replays both traces per
// policy, each on a fresh redis-server.
func redisHitRows(t *testing.T, sp traceSpec, policies []string, batch int) []hitRow {
	t.Helper()
	p := newZipfParams(sp.keys, 0.99)
	empty, full := redisDataset(t, sp.keys)
	budget := empty + (full-empty)/10
	t.Logf("redis: used_memory empty %d B, %d keys %d B (%.1f B/key); maxmemory %d B",
		empty, sp.keys, full, float64(full-empty)/float64(sp.keys), budget)
	var rows []hitRow
	for _, scan := range []int{0, sp.scan} {
		tr := buildTrace(traceSpec{keys: sp.keys, requests: sp.requests, scan: scan, seed: sp.seed}, p)
		for _, pol := range policies {
			rows = append(rows, redisTraceRun(t, tr, scan, budget, pol, batch))
			logHitRows(t, rows[len(rows)-1:])
		}
	}
	return rows
}
