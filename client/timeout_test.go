package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLargeValuesUnderLoadNeverNotFound: 16 goroutines read 1 MiB values
// that exist, without L1 and without a Loader, for 3 s. No read may return
// ErrNotFound: a node timeout is an error (ErrNodeUnavailable), never a
// miss. With a 1 ms read timeout timeouts are certain (the subtest checks
// that they happened); with the default one, read deadlines grow with the
// reply (another ReadTimeout per 64 KiB received).
func TestLargeValuesUnderLoadNeverNotFound(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	val := bytes.Repeat([]byte("x"), 1<<20)
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = fmt.Sprintf("big:%d", i)
		if err := tc.raw.Set(ctx, keys[i], val, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	lapses := leaseLapses(t, tc) // since the keys were written
	for _, rt := range []time.Duration{time.Millisecond, DefaultConfig().ReadTimeout} {
		t.Run(fmt.Sprintf("ReadTimeout=%v", rt), func(t *testing.T) {
			c := newClient(t, tc, func(cfg *Config) { cfg.L1.Disabled, cfg.ReadTimeout = true, rt })
			var reads, notFound, failed atomic.Int64
			var wg sync.WaitGroup
			end := time.Now().Add(3 * time.Second)
			for g := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := g; time.Now().Before(end); i++ {
						r, err := c.Get(ctx, keys[i%len(keys)])
						reads.Add(1)
						switch {
						case errors.Is(err, ErrNotFound):
							if notFound.Add(1) < 3 {
								n, xerr := tc.raw.Exists(ctx, keys[i%len(keys)]).Result()
								t.Logf("not found: tier %v err %v; the key exists in the cluster: %v %v", r.Tier, err, n == 1, xerr)
							}
						case err != nil:
							if failed.Add(1) < 3 {
								t.Logf("error: %v", err)
							}
						case len(r.Value) != len(val):
							t.Errorf("value of %d bytes", len(r.Value))
						}
					}
				}()
			}
			wg.Wait()
			st := c.Stats()
			t.Logf("ReadTimeout %v: %d reads of 1 MiB, %d failed (node errors %d), %d not found, breakers %v",
				rt, reads.Load(), failed.Load(), st.Remote.Errors, notFound.Load(), st.Breakers)
			if notFound.Load() != 0 {
				if l := leaseLapses(t, tc); l > lapses {
					// A node that lost its cluster lease (a machine too
					// loaded for gossip) fences itself and drops its keys:
					// those misses are real.
					t.Logf("%d reads returned ErrNotFound after %d lease lapses dropped keys: not checked", notFound.Load(), l-lapses)
					return
				}
				t.Fatalf("%d reads of existing keys returned ErrNotFound", notFound.Load())
			}
			if rt == time.Millisecond && failed.Load() == 0 {
				t.Fatal("no read timed out with a 1ms timeout: the check did not run")
			}
		})
	}
}

// leaseLapses sums the nodes' ringcache_lease_lapses (INFO ringcache).
func leaseLapses(t *testing.T, tc *testCluster) int64 {
	var sum int64
	for _, n := range tc.nodes {
		info, err := n.Info(context.Background(), "ringcache").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "ringcache_lease_lapses:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				sum += n
			}
		}
	}
	return sum
}
