package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
)

// staleBound is the staleness the coherence test allows on loopback with no
// faults: a read that starts this long after a write was acknowledged must
// see that write or a newer one.
const staleBound = 50 * time.Millisecond

type op struct {
	seq   int
	del   bool
	start time.Time
	acked time.Time
}

type readRec struct {
	key   int
	start time.Time
	seq   int // -1: not found
}

// history records, per key, the writes of its single writer in order.
type history struct {
	mu     sync.Mutex
	writes map[int][]op
	reads  []readRec
}

func (h *history) write(key int, o op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes[key] = append(h.writes[key], o)
}

func (h *history) read(r readRec) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads = append(h.reads, r)
}

// check verifies every read: let w be the newest write acknowledged before
// read.start - bound; the read must return w or a write issued after it
// (for "not found", some delete issued at or after w).
func (h *history) check(t *testing.T, bound time.Duration) {
	t.Helper()
	bad := 0
	for _, r := range h.reads {
		ws := h.writes[r.key]
		i := -1
		for j, w := range ws {
			if w.acked.Before(r.start.Add(-bound)) {
				i = j
			}
		}
		if i < 0 {
			continue
		}
		ok := false
		if r.seq >= 0 {
			ok = r.seq >= ws[i].seq
		} else {
			ok = slices.ContainsFunc(ws[i:], func(w op) bool { return w.del && w.start.Before(r.start.Add(time.Second)) })
		}
		if !ok {
			bad++
			if bad < 5 {
				t.Errorf("key %d: read at %v returned seq %d; write seq %d was acked %v before it",
					r.key, r.start.Format("15:04:05.000000"), r.seq, ws[i].seq, r.start.Sub(ws[i].acked))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d reads were staler than %v", bad, len(h.reads), bound)
	}
}

func value(key, seq int) []byte { return []byte(fmt.Sprintf("k%d-s%d", key, seq)) }

func seqOf(v []byte) int {
	_, s, _ := strings.Cut(string(v), "-s")
	n, err := strconv.Atoi(s)
	if err != nil {
		return -2
	}
	return n
}

// TestCoherenceHistory runs 4 SDK instances with L1: two write (one also
// deletes), a plain go-redis client writes too, and every instance reads;
// every read is checked against the write history.
func TestCoherenceHistory(t *testing.T) {
	addr, _ := startCluster(t)
	ctx := context.Background()
	var sdks []*Client
	for range 4 {
		// The lease makes staleBound a guarantee, not a typical figure.
		sdks = append(sdks, newClient(t, addr, func(c *Config) { c.L1.MaxStaleness = staleBound }))
	}
	raw := redis.NewClient(&redis.Options{Addr: addr})
	defer raw.Close()
	const keys = 12
	h := &history{writes: map[int][]op{}}
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	// Keys are split among three writers: SDK 0, SDK 1 (which also
	// deletes) and the raw client. One writer per key gives a total order.
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 1; time.Now().Before(deadline); seq++ {
				key := w + 3*rand.IntN(keys/3)
				o := op{seq: seq, start: time.Now()}
				var err error
				k := "coh:" + strconv.Itoa(key)
				switch {
				case w == 2:
					err = raw.Set(ctx, k, value(key, seq), 0).Err()
				case w == 1 && seq%5 == 0:
					o.del = true
					err = sdks[1].Delete(ctx, k)
				default:
					err = sdks[w].Set(ctx, k, value(key, seq), WithTTL(0))
				}
				if err != nil {
					t.Errorf("write: %v", err)
					return
				}
				o.acked = time.Now()
				h.write(key, o)
				time.Sleep(time.Millisecond) // pacing of the workload, not synchronisation
			}
		}()
	}
	for _, c := range sdks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				key := rand.IntN(keys)
				start := time.Now()
				res, err := c.Get(ctx, "coh:"+strconv.Itoa(key))
				r := readRec{key: key, start: start, seq: -1}
				switch {
				case err == nil:
					r.seq = seqOf(res.Value)
				case !errors.Is(err, ErrNotFound):
					t.Errorf("read: %v", err)
					return
				}
				h.read(r)
			}
		}()
	}
	wg.Wait()
	h.check(t, staleBound)
	l1, losses := 0, 0
	for _, c := range sdks {
		l1 += int(c.Stats().L1.Hits)
		losses += int(c.Stats().InvalidationLosses)
	}
	t.Logf("invalidation connections lost and re-established during the run: %d", losses)
	t.Logf("%d reads (%d from L1), checked against %d keys' histories with bound %v", len(h.reads), l1, keys, staleBound)
	if l1 == 0 {
		t.Fatal("no read was served by L1: the test did not exercise it")
	}
}

// TestMeasureInvalidationLag reports the time from a write's acknowledgement
// to each reader applying its invalidation: RINGCACHE_MEASURE=1 go test
// -run TestMeasureInvalidationLag -v ./client/
func TestMeasureInvalidationLag(t *testing.T) {
	if os.Getenv("RINGCACHE_MEASURE") == "" {
		t.Skip("set RINGCACHE_MEASURE=1")
	}
	addr, _ := startCluster(t)
	ctx := context.Background()
	writer := newClient(t, addr, nil)
	var mu sync.Mutex
	arrived := map[string][]time.Time{}
	var readers []*Client
	for range 3 {
		c := newClient(t, addr, nil)
		c.testHookInvalidated = func(key string) {
			now := time.Now()
			mu.Lock()
			arrived[key] = append(arrived[key], now)
			mu.Unlock()
		}
		readers = append(readers, c)
	}
	const n = 10000
	var lags []time.Duration
	for i := range n {
		key := "lag:" + strconv.Itoa(i)
		if err := writer.Set(ctx, key, []byte("v")); err != nil {
			t.Fatal(err)
		}
		acked := time.Now()
		poll.Until(t, time.Second, "invalidations", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(arrived[key]) >= len(readers)
		})
		mu.Lock()
		last := slices.MaxFunc(arrived[key], func(a, b time.Time) int { return a.Compare(b) })
		mu.Unlock()
		lags = append(lags, max(last.Sub(acked), 0))
	}
	slices.Sort(lags)
	t.Logf("invalidation lag over %d writes, 3 readers: p50 %v p99 %v max %v",
		n, lags[n/2], lags[n*99/100], lags[n-1])
}

// TestLeaseBoundsStalenessWhenInvalidationsStall stalls the invalidation
// reader (as a starved goroutine would be) and checks that L1 stops serving
// once the node's lease lapses: a write whose invalidation is stuck in the
// socket is still seen within MaxStaleness.
func TestLeaseBoundsStalenessWhenInvalidationsStall(t *testing.T) {
	addr, raw := startCluster(t)
	ctx := context.Background()
	const bound = 50 * time.Millisecond
	c := newClient(t, addr, func(cfg *Config) { cfg.L1.MaxStaleness = bound })
	release := make(chan struct{})
	var once sync.Once
	c.testHookInvalidated = func(key string) {
		if key == "blocker" {
			once.Do(func() { <-release })
		}
	}
	defer close(release)
	raw.Set(ctx, "k", "v1", 0)
	getL1(t, c, "k")
	raw.Set(ctx, "blocker", "x", 0) // the reader now blocks after this push
	raw.Set(ctx, "k", "v2", 0)      // this push waits behind it
	acked := time.Now()
	poll.Until(t, 2*time.Second, "v2 despite the stalled invalidations", func() bool {
		res, err := c.Get(ctx, "k")
		return err == nil && string(res.Value) == "v2"
	})
	if d := time.Since(acked); d > bound+50*time.Millisecond {
		t.Fatalf("v2 seen %v after its ack, bound %v", d, bound)
	}
	if c.Stats().L1LeaseLapsed == 0 {
		t.Fatal("no L1 read was refused for a lapsed lease")
	}
}
