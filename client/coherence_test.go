package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
)

// coherenceConfig is the SDK configuration of the coherence tests: the
// lease makes staleBound a guarantee, not a typical figure; timeouts are
// generous because a timed-out read is a miss ("not found" without a
// Loader), which the checker would rightly count as stale.
func coherenceConfig(c *Config) {
	c.L1.MaxStaleness = staleBound
	c.DialTimeout, c.ReadTimeout, c.WriteTimeout = time.Second, time.Second, time.Second
}

// workload is the coherence workload: every key has exactly one writer (so
// its writes are totally ordered) and every SDK instance reads every key.
// Writers: SDK 0 sets, SDK 1 sets and deletes, a plain go-redis client sets
// and the real redis-cli sets and deletes, each on its own keys.
type workload struct {
	tc    *testCluster
	sdks  []*Client
	raw   *redis.Client // on ringcache a client of a node other than the first
	cli   string        // redis-cli path
	keys  int           // a multiple of 4
	h     *history
	werrs atomic.Int64 // writes that failed (recorded as unacknowledged)
	wrote atomic.Int64
}

func newWorkload(t *testing.T, tc *testCluster, sdks []*Client) *workload {
	raw := redis.NewClient(&redis.Options{Addr: tc.seeds[len(tc.seeds)-1]})
	t.Cleanup(func() { raw.Close() })
	return &workload{tc: tc, sdks: sdks, raw: raw, cli: redistest.Binary(t, "redis-cli"), keys: 16, h: newHistory()}
}

// run writes and reads until deadline, recording everything in w.h.
func (w *workload) run(t *testing.T, deadline time.Time) {
	var wg sync.WaitGroup
	for wr := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); w.writer(t, wr, deadline) }()
	}
	for _, c := range w.sdks {
		wg.Add(1)
		go func() { defer wg.Done(); w.reader(t, c, deadline) }()
	}
	wg.Wait()
	if n, e := w.wrote.Load(), w.werrs.Load(); e*20 > n {
		t.Errorf("%d of %d writes failed", e, n)
	}
}

func (w *workload) writer(t *testing.T, wr int, deadline time.Time) {
	ctx := context.Background()
	for seq := 1; time.Now().Before(deadline); seq++ {
		key := wr + 4*rand.IntN(w.keys/4)
		k := "coh:" + strconv.Itoa(key)
		o := op{seq: seq, start: time.Now(), del: seq%5 == 0 && (wr == 1 || wr == 3)}
		var err error
		switch {
		case wr == 3:
			err = w.cliWrite(k, key, seq, o.del)
		case wr == 2:
			err = w.raw.Set(ctx, k, value(key, seq), 0).Err()
		case o.del:
			err = w.sdks[1].Delete(ctx, k)
		default:
			err = w.sdks[wr].Set(ctx, k, value(key, seq), WithTTL(0))
		}
		o.acked = time.Now()
		w.wrote.Add(1)
		if err != nil {
			w.werrs.Add(1)
			t.Logf("write %s (writer %d): %v", k, wr, err)
			o.acked = never
		}
		w.h.write(key, o)
		if wr != 3 {
			time.Sleep(time.Millisecond) // pacing of the workload, not synchronisation
		}
	}
}

// cliWrite writes through the real redis-cli, on a node picked at random.
func (w *workload) cliWrite(k string, key, seq int, del bool) error {
	addr := w.tc.seeds[rand.IntN(len(w.tc.seeds))]
	args := []string{"SET", k, string(value(key, seq))}
	want := "OK"
	if del {
		args, want = []string{"DEL", k}, ""
	}
	out, err := redisCLI(w.cli, addr, args...)
	if err == nil && want != "" && out != want {
		err = errors.New("redis-cli: " + out)
	}
	return err
}

func (w *workload) reader(t *testing.T, c *Client, deadline time.Time) {
	ctx := context.Background()
	for time.Now().Before(deadline) {
		key := rand.IntN(w.keys)
		start := time.Now()
		res, err := c.Get(ctx, "coh:"+strconv.Itoa(key))
		r := readRec{key: key, start: start, seq: -1, tier: res.Tier}
		switch {
		case err == nil:
			r.seq = seqOf(res.Value)
		case !errors.Is(err, ErrNotFound):
			t.Errorf("read: %v", err)
			return
		}
		w.h.read(r)
	}
}

// l1Hits sums the L1 hits of the workload's instances.
func (w *workload) l1Hits() int64 {
	var n int64
	for _, c := range w.sdks {
		n += c.Stats().L1.Hits
	}
	return n
}

// forceFillRaces makes every 10th remote read of c wait, between reading
// the value and installing it in L1, until an invalidation of that key has
// been applied (up to 250 ms): the fill race of
// TestFillRaceNeverInstallsStaleValue, inside the workload. It returns the
// number of races forced so far.
func forceFillRaces(t *testing.T, c *Client) func() int64 {
	ev := newKeyEvents()
	setInvalidatedHook(t, c, ev.note)
	var calls, forced atomic.Int64
	c.testHookAfterRemoteRead = func(key string) {
		if calls.Add(1)%10 != 0 {
			return
		}
		if ev.waitNext(key, 250*time.Millisecond) {
			forced.Add(1)
		}
	}
	return forced.Load
}

// keyEvents counts invalidations per key and lets a goroutine wait for the
// next one.
type keyEvents struct {
	mu      sync.Mutex
	n       map[string]int
	changed chan struct{}
}

func newKeyEvents() *keyEvents {
	return &keyEvents{n: map[string]int{}, changed: make(chan struct{})}
}

func (e *keyEvents) note(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n[key]++
	close(e.changed)
	e.changed = make(chan struct{})
}

// waitNext waits up to d for an invalidation of key after the call.
func (e *keyEvents) waitNext(key string, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	e.mu.Lock()
	from := e.n[key]
	for e.n[key] == from {
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
		e.mu.Lock()
	}
	e.mu.Unlock()
	return true
}

// setInvalidatedHook installs c.testHookInvalidated while no write is in
// flight. The invalidation readers already run, so for the race detector
// (and the memory model) the hook is published through each invalidator's
// mutex: the test takes it after the store, then closes the connection,
// and the reconnecting session takes it before it reads any push.
func setInvalidatedHook(t testing.TB, c *Client, f func(key string)) {
	t.Helper()
	c.testHookInvalidated = f
	closed := map[*invalidator]net.Conn{}
	for _, n := range c.router.current().nodes {
		closed[n.inval] = n.inval.currentConn()
		if conn := closed[n.inval]; conn != nil {
			_ = conn.Close()
		}
	}
	poll.Until(t, 5*time.Second, "invalidation connections re-established", func() bool {
		for iv, old := range closed {
			if !iv.live() || iv.currentConn() == old {
				return false
			}
		}
		return true
	})
}

// currentConn returns the invalidator's connection (its last session's).
func (iv *invalidator) currentConn() net.Conn {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return iv.conn
}

// killInvalidationConns closes, from the server side as a network fault
// would, one SDK instance's invalidation connection every interval, cycling
// through instances and nodes, until deadline; it returns how many it closed.
func killInvalidationConns(t *testing.T, sdks []*Client, interval time.Duration, deadline time.Time) int {
	ctx := context.Background()
	killed := 0
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; time.Now().Add(interval).Before(deadline); i++ {
		<-tick.C
		c := sdks[i%len(sdks)]
		var nodes []*node
		for _, n := range c.router.current().nodes {
			nodes = append(nodes, n)
		}
		n := nodes[i%len(nodes)]
		conn := n.inval.currentConn()
		if conn == nil || !n.inval.live() {
			continue
		}
		rdb := redis.NewClient(&redis.Options{Addr: n.addr})
		got, err := rdb.ClientKillByFilter(ctx, "ADDR", conn.LocalAddr().String()).Result()
		rdb.Close()
		if err != nil {
			t.Errorf("CLIENT KILL ADDR: %v", err)
			return killed
		}
		killed += int(got)
	}
	return killed
}

// TestCoherenceHistory runs 4 SDK instances with L1 while four writers
// (two SDK instances, a plain go-redis client and the real redis-cli)
// update and delete keys; one instance has fill races forced on it and the
// instances' invalidation connections are cut now and then. Every read is
// checked against the write history with the documented bound.
func TestCoherenceHistory(t *testing.T) {
	forEachBackend(t, testCoherenceHistory)
}

func testCoherenceHistory(t *testing.T, tc *testCluster) {
	var sdks []*Client
	for range 4 {
		sdks = append(sdks, newClient(t, tc, coherenceConfig))
	}
	races := forceFillRaces(t, sdks[3])
	w := newWorkload(t, tc, sdks)
	deadline := time.Now().Add(3 * time.Second)
	killed := make(chan int, 1)
	go func() { killed <- killInvalidationConns(t, sdks, 250*time.Millisecond, deadline) }()
	w.run(t, deadline)
	k := <-killed
	rep := w.h.check(t, staleBound)
	var losses int64
	for _, c := range sdks {
		losses += c.Stats().InvalidationLosses
	}
	t.Logf("%d reads (%d from L1), max staleness %v (bound %v); %d writes (%d failed); %d fill races forced; "+
		"%d invalidation connections cut, %d losses seen", rep.reads, w.l1Hits(), rep.max, staleBound,
		w.wrote.Load(), w.werrs.Load(), races(), k, losses)
	switch {
	case w.l1Hits() == 0:
		t.Fatal("no read was served by L1: the test did not exercise it")
	case races() == 0:
		t.Fatal("no fill race was forced")
	case k == 0 || losses < int64(k):
		t.Fatalf("%d invalidation connections cut, %d losses seen", k, losses)
	}
}
