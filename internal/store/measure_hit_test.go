package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/store"
)

// scanBit marks a trace entry as a key of the one-pass scan ("scn:%012d")
// rather than a Zipf item ("key:%012d").
const scanBit = 1 << 31

// traceSpec sizes a cache-aside trace: requests scrambled-Zipf(0.99) reads
// over keys items, with scan one-pass reads of other keys spread evenly
// through it.
type traceSpec struct {
	keys     uint64
	requests int
	scan     int
	seed     uint64
}

// buildTrace returns the trace: after the r-th Zipf request, scan entries
// are emitted until (r+1)*scan/requests of them are out.
func buildTrace(sp traceSpec, p zipfParams) []uint32 {
	g := newZipfGen(p, sp.seed, true)
	tr := make([]uint32, 0, sp.requests+sp.scan)
	emitted := 0
	for r := 0; r < sp.requests; r++ {
		tr = append(tr, uint32(g.next()))
		for due := int(int64(r+1) * int64(sp.scan) / int64(sp.requests)); emitted < due; emitted++ {
			tr = append(tr, scanBit|uint32(emitted))
		}
	}
	return tr
}

// asideCache is a cache under a cache-aside client: GET a batch, then SET
// the misses.
type asideCache interface {
	gets(keys [][]byte, hit []bool) error
	sets(keys [][]byte, val []byte) error
}

// hitResult counts the outcome of one replay.
type hitResult struct {
	ZipfReqs, ZipfHits, ScanReqs, ScanHits int64
}

func (h hitResult) ratio() float64 { return float64(h.ZipfHits) / float64(max(h.ZipfReqs, 1)) }

// replay runs the trace in batches: batch GETs in order, then one SET per
// miss. batch 1 is exact cache-aside; a larger batch lets a key missed
// twice within a batch miss twice.
func replay(c asideCache, tr []uint32, batch int) (hitResult, error) {
	var res hitResult
	keys, hit, miss := make([][]byte, batch), make([]bool, batch), make([][]byte, 0, batch)
	for i := range keys {
		keys[i] = make([]byte, 0, 32)
	}
	val := make([]byte, 100)
	for start := 0; start < len(tr); start += batch {
		part := tr[start:min(start+batch, len(tr))]
		for j, e := range part {
			keys[j] = traceKey(keys[j][:0], e)
		}
		if err := c.gets(keys[:len(part)], hit[:len(part)]); err != nil {
			return res, err
		}
		miss = countHits(&res, part, keys, hit, miss[:0])
		fillValue(val, uint64(part[0]))
		if err := c.sets(miss, val); err != nil {
			return res, err
		}
	}
	return res, nil
}

func traceKey(dst []byte, e uint32) []byte {
	if e&scanBit != 0 {
		return appendKey(dst, "scn:", uint64(e&^scanBit))
	}
	return appendKey(dst, "key:", uint64(e))
}

// countHits adds the batch's outcome to res and returns its missed keys.
func countHits(res *hitResult, part []uint32, keys [][]byte, hit []bool, miss [][]byte) [][]byte {
	for j, e := range part {
		h := int64(0)
		if hit[j] {
			h = 1
		} else {
			miss = append(miss, keys[j])
		}
		if e&scanBit != 0 {
			res.ScanReqs, res.ScanHits = res.ScanReqs+1, res.ScanHits+h
		} else {
			res.ZipfReqs, res.ZipfHits = res.ZipfReqs+1, res.ZipfHits+h
		}
	}
	return miss
}

// storeCache replays against a *store.Store; ErrOOM (noeviction) is
// counted and otherwise ignored, as a cache-aside client would.
type storeCache struct {
	s   *store.Store
	o   store.SetOptions
	dst []byte
	oom int64
}

func (c *storeCache) gets(keys [][]byte, hit []bool) error {
	for i, k := range keys {
		c.dst, hit[i] = c.s.Get(c.dst[:0], k)
	}
	return nil
}

func (c *storeCache) sets(keys [][]byte, val []byte) error {
	for _, k := range keys {
		_, _, _, err := c.s.Set(nil, k, val, c.o)
		switch {
		case errors.Is(err, store.ErrOOM):
			c.oom++
		case err != nil:
			return err
		}
	}
	return nil
}

// redisCache replays against redis-server, one pipeline per batch. An OOM
// error reply to SET is counted and otherwise ignored, as a cache-aside
// client would.
type redisCache struct {
	rc       *respConn
	get, set []byte
	oom      int64
}

func newRedisCache(rc *respConn) *redisCache {
	return &redisCache{rc: rc, get: []byte("GET"), set: []byte("SET")}
}

func (c *redisCache) gets(keys [][]byte, hit []bool) error {
	for _, k := range keys {
		c.rc.send(c.get, k)
	}
	if err := c.rc.flush(); err != nil {
		return err
	}
	for i := range keys {
		rp, err := c.rc.read()
		if err != nil {
			return err
		}
		hit[i] = rp.kind == '$' && !rp.null
	}
	return nil
}

func (c *redisCache) sets(keys [][]byte, val []byte) error {
	for _, k := range keys {
		c.rc.send(c.set, k, val)
	}
	if err := c.rc.flush(); err != nil {
		return err
	}
	for range keys {
		rp, err := c.rc.read()
		switch {
		case err != nil:
			return err
		case rp.kind == '-' && bytes.HasPrefix(rp.data, []byte("OOM ")):
			c.oom++
		case rp.kind == '-':
			return errors.New(string(rp.data))
		}
	}
	return nil
}

// hitRow is one line of the hit-ratio table.
type hitRow struct {
	name, trace string
	scan, batch int
	res         hitResult
	evicted     int64
	keysEnd     int64
	oom         int64
	took        time.Duration
}

func logHitRows(t *testing.T, rows []hitRow) {
	t.Helper()
	t.Logf("| %-24s | %-16s | %5s | %9s | %9s | %9s | %8s | %6s | %6s |", "cache / policy", "trace", "batch",
		"hit ratio", "scan hits", "evicted", "keys end", "OOM", "secs")
	for _, r := range rows {
		t.Logf("| %-24s | %-16s | %5d | %8.2f%% | %9d | %9d | %8d | %6d | %6.1f |", r.name, r.trace, r.batch,
			100*r.res.ratio(), r.res.ScanHits, r.evicted, r.keysEnd, r.oom, r.took.Seconds())
	}
}

// idealHitRatio is the Zipf mass of the k most probable items after
// scrambling: the hit ratio of an oracle static cache of k keys.
func idealHitRatio(p zipfParams, k int) float64 {
	mass := make([]float64, p.items)
	for r := uint64(0); r < p.items; r++ {
		mass[scramble(r, p.items)] += p.prob(r)
	}
	slices.Sort(mass)
	sum := 0.0
	for _, m := range mass[max(0, len(mass)-k):] {
		sum += m
	}
	return sum
}

func traceName(scan int) string {
	if scan > 0 {
		return fmt.Sprintf("zipf+scan%d", scan)
	}
	return "zipf"
}

// redisTraceRun replays tr against a fresh redis-server with the given
// maxmemory and policy, in batches of batch.
func redisTraceRun(t *testing.T, tr []uint32, scan int, maxmemory int64, policy string, batch int) hitRow {
	t.Helper()
	srv := redistest.StartServer(t, "--maxmemory", fmt.Sprint(maxmemory), "--maxmemory-policy", policy)
	rc := dialRESP(t, srv.Addr)
	c, start := newRedisCache(rc), time.Now()
	res, err := replay(c, tr, batch)
	if err != nil {
		t.Fatalf("redis %s: %v", policy, err)
	}
	return hitRow{name: "redis " + policy, trace: traceName(scan), scan: scan, batch: batch, res: res, took: time.Since(start),
		evicted: mustInfo(t, rc, "stats", "evicted_keys"), keysEnd: mustInfo(t, rc, "", "db0"), oom: c.oom}
}

// redisDataset returns used_memory of an empty redis-server and of one
// holding keys "key:%012d" → 100-byte values.
func redisDataset(t *testing.T, keys uint64) (empty, full int64) {
	t.Helper()
	srv := redistest.StartServer(t)
	rc := dialRESP(t, srv.Addr)
	empty = mustInfo(t, rc, "memory", "used_memory")
	if err := loadRedis(rc, "key:", 0, keys, 100); err != nil {
		t.Fatal(err)
	}
	return empty, mustInfo(t, rc, "memory", "used_memory")
}
