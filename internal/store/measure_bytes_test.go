package store_test

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/store"
)

// memResult is what one side (ours or Redis) holds for Keys keys, as deltas
// over the empty baseline. Fields a side cannot measure stay 0.
type memResult struct {
	Keys         int64
	Heap         int64 // Go heap objects after runtime.GC (ours)
	RSS          int64 // VmRSS
	RSSScavenged int64 // VmRSS after debug.FreeOSMemory (ours)
	Used         int64 // store Stats.UsedMemory (ours) or INFO used_memory (Redis)
}

func (m memResult) perKey(v int64) float64 { return float64(v) / float64(m.Keys) }

const bytesJob = "bytes-per-key"

// TestMeasureBytesPerKey loads 1,000,000 keys "key:%012d" with 100-byte
// values into the store (in a fresh process) and into redis-server, and
// reports bytes per key of each and the ratio. RINGCACHE_MEASURE_KEYS
// overrides the key count.
//
//	RINGCACHE_MEASURE=1 go test -count=1 -run 'TestMeasureBytesPerKey$' -v ./internal/store/
func TestMeasureBytesPerKey(t *testing.T) {
	requireMeasure(t)
	n := envInt(t, "RINGCACHE_MEASURE_KEYS", 1_000_000)
	ours := ourBytes(t, n)
	redis := redisBytes(t, n)
	logBytes(t, ours, redis)
}

// TestMeasureBytesPerKeyHarness is the always-on check of the harness: 20k
// keys, child process and Redis included.
func TestMeasureBytesPerKeyHarness(t *testing.T) {
	const n = 20_000
	ours := ourBytes(t, n)
	if ours.Keys != n || ours.Heap <= 0 || ours.Used <= 0 {
		t.Errorf("ours: %+v, want %d keys and positive heap and used memory", ours, n)
	}
	redis := redisBytes(t, n)
	if redis.Keys != n || redis.Used <= 0 {
		t.Errorf("redis: %+v, want %d keys and positive used_memory", redis, n)
	}
	logBytes(t, ours, redis)
}

func ourBytes(t *testing.T, n int64) memResult {
	var r memResult
	runChild(t, "TestMeasureBytesPerKeyChild", bytesJob, &r, "RINGCACHE_MEASURE_KEYS="+strconv.FormatInt(n, 10))
	return r
}

// TestMeasureBytesPerKeyChild is the fresh process of ourBytes.
func TestMeasureBytesPerKeyChild(t *testing.T) {
	childJob(t, bytesJob)
	n := envInt(t, "RINGCACHE_MEASURE_KEYS", 1_000_000)
	heap0, rss0 := heapObjectsAfterGC(), mustRSS(t, "self")
	s, err := store.New(store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := loadStore(s, "key:", 0, uint64(n), store.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	r := memResult{Keys: s.Stats().Keys, Used: s.Stats().UsedMemory}
	r.Heap, r.RSS = heapObjectsAfterGC()-heap0, mustRSS(t, "self")-rss0
	debug.FreeOSMemory()
	r.RSSScavenged = mustRSS(t, "self") - rss0
	runtime.KeepAlive(s)
	reportChild(t, r)
}

// loadStore sets keys [from, from+n) with 100-byte values.
func loadStore(s *store.Store, prefix string, from, n uint64, o store.SetOptions) error {
	key, val := make([]byte, 0, 32), make([]byte, 100)
	for i := from; i < from+n; i++ {
		key = appendKey(key[:0], prefix, i)
		fillValue(val, i)
		if _, _, _, err := s.Set(nil, key, val, o); err != nil {
			return fmt.Errorf("set %s: %w", key, err)
		}
	}
	return nil
}

func mustRSS(t testing.TB, pid string) int64 {
	t.Helper()
	v, err := procStatusBytes(pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// redisBytes loads the same keys into a fresh redis-server, pipelined over
// one connection, and returns used_memory and VmRSS over its empty baseline.
func redisBytes(t *testing.T, n int64) memResult {
	srv := redistest.StartServer(t)
	rc := dialRESP(t, srv.Addr)
	pid, err := rc.infoField("server", "process_id")
	if err != nil {
		t.Fatal(err)
	}
	used0, rss0 := mustInfo(t, rc, "memory", "used_memory"), mustRSS(t, strconv.FormatInt(pid, 10))
	if err := loadRedis(rc, "key:", 0, uint64(n), 100); err != nil {
		t.Fatalf("load redis: %v", err)
	}
	r := memResult{Keys: mustInfo(t, rc, "keyspace", "db0"), Used: mustInfo(t, rc, "memory", "used_memory") - used0}
	r.RSS = mustRSS(t, strconv.FormatInt(pid, 10)) - rss0
	return r
}

// mustInfo returns an INFO field; for "db0" it returns the key count.
func mustInfo(t testing.TB, rc *respConn, section, field string) int64 {
	t.Helper()
	if field == "db0" {
		rp, err := rc.do("DBSIZE")
		if err != nil {
			t.Fatal(err)
		}
		return rp.n
	}
	v, err := rc.infoField(section, field)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func logBytes(t *testing.T, ours, redis memResult) {
	t.Helper()
	t.Logf("keys: ours %d, redis %d (100-byte values, keys key:%%012d)", ours.Keys, redis.Keys)
	t.Logf("%-44s %10s", "bytes per key", "B/key")
	row := func(name string, v float64) { t.Logf("%-44s %10.1f", name, v) }
	row("ours: Go heap objects (after GC)", ours.perKey(ours.Heap))
	row("ours: VmRSS", ours.perKey(ours.RSS))
	row("ours: VmRSS after FreeOSMemory", ours.perKey(ours.RSSScavenged))
	row("ours: Stats.UsedMemory (own accounting)", ours.perKey(ours.Used))
	row("redis: used_memory", redis.perKey(redis.Used))
	row("redis: VmRSS", redis.perKey(redis.RSS))
	t.Logf("ratio ours/redis: heap/used_memory %s, RSS/RSS %s",
		ratio(ours.perKey(ours.Heap), redis.perKey(redis.Used)), ratio(ours.perKey(ours.RSS), redis.perKey(redis.RSS)))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}
