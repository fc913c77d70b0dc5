package client

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/poll"
)

// TestMeasureInvalidationLag reports, per backend, the time from a write's
// acknowledgement to the last of 3 readers applying its invalidation (its
// L1 no longer serves the old value), over 10,000 writes spread over the
// nodes: RINGCACHE_MEASURE=1 go test -run TestMeasureInvalidationLag -v ./client/
func TestMeasureInvalidationLag(t *testing.T) {
	if os.Getenv("RINGCACHE_MEASURE") == "" {
		t.Skip("set RINGCACHE_MEASURE=1")
	}
	forEachBackend(t, measureInvalidationLag)
}

func measureInvalidationLag(t *testing.T, tc *testCluster) {
	ctx := context.Background()
	// The lag is measured from the ack: a loaded machine may delay the
	// ack past the default 50 ms timeout, which is not what is measured.
	writer := newClient(t, tc, func(c *Config) { c.ReadTimeout, c.WriteTimeout = time.Second, time.Second })
	const readers = 3
	var mu sync.Mutex
	arrived := map[string][]time.Time{}
	done := map[string]chan struct{}{}
	for range readers {
		c := newClient(t, tc, nil)
		setInvalidatedHook(t, c, func(key string) {
			now := time.Now()
			mu.Lock()
			defer mu.Unlock()
			arrived[key] = append(arrived[key], now)
			if ch := done[key]; ch != nil && len(arrived[key]) == readers {
				close(ch)
			}
		})
	}
	const n = 10000
	var lags []time.Duration
	for i := range n {
		key := "lag:" + strconv.Itoa(i)
		ch := make(chan struct{})
		mu.Lock()
		done[key] = ch
		mu.Unlock()
		if err := writer.Set(ctx, key, []byte("v")); err != nil {
			t.Fatal(err)
		}
		acked := time.Now()
		select {
		case <-ch:
		case <-time.After(time.Second):
			t.Fatalf("write %d: invalidations not applied by every reader within 1s", i)
		}
		mu.Lock()
		last := slices.MaxFunc(arrived[key], func(a, b time.Time) int { return a.Compare(b) })
		delete(arrived, key)
		delete(done, key)
		mu.Unlock()
		lags = append(lags, max(last.Sub(acked), 0))
	}
	slices.Sort(lags)
	early, _ := slices.BinarySearch(lags, 1)
	load, _ := exec.Command("uptime").Output()
	t.Logf("%s: invalidation lag over %d writes, %d readers: p50 %v p99 %v max %v; %d applied by every reader "+
		"before the writer saw its ack (counted as 0) (uptime: %s)", tc.name, n, readers,
		lags[n/2], lags[n*99/100], lags[n-1], early, strings.TrimSpace(string(load)))
}

// TestLeaseBoundsStalenessWhenInvalidationsStall stalls the invalidation
// reader (as a starved goroutine would be) and checks that L1 stops serving
// once the node's lease lapses: a write whose invalidation is stuck in the
// socket is still seen within MaxStaleness.
func TestLeaseBoundsStalenessWhenInvalidationsStall(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	ctx := context.Background()
	const bound = 50 * time.Millisecond
	c := newClient(t, tc, func(cfg *Config) { cfg.L1.MaxStaleness = bound })
	release := make(chan struct{})
	var once sync.Once
	// The hash tag puts both keys on one node, so on one connection.
	setInvalidatedHook(t, c, func(key string) {
		if key == "{lease}blocker" {
			once.Do(func() { <-release })
		}
	})
	defer close(release)
	raw.Set(ctx, "{lease}k", "v1", 0)
	raw.Set(ctx, "{lease}blocker", "x0", 0)
	getL1(t, c, "{lease}k")
	getL1(t, c, "{lease}blocker")          // opt-in tracking: pushed only once read
	raw.Set(ctx, "{lease}blocker", "x", 0) // the reader now blocks after this push
	raw.Set(ctx, "{lease}k", "v2", 0)      // this push waits behind it
	acked := time.Now()
	poll.Until(t, 2*time.Second, "v2 despite the stalled invalidations", func() bool {
		res, err := c.Get(ctx, "{lease}k")
		return err == nil && string(res.Value) == "v2"
	})
	if d := time.Since(acked); d > bound+50*time.Millisecond {
		t.Fatalf("v2 seen %v after its ack, bound %v", d, bound)
	}
	if c.Stats().L1LeaseLapsed == 0 {
		t.Fatal("no L1 read was refused for a lapsed lease")
	}
}
