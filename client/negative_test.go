package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/ringcache/ringcache/internal/poll"
)

// TestNegativeCachedInCluster: an origin "not found" loaded by one
// instance is answered by the others, with and without L1, without another
// load (the marker is in the cluster, with NegativeTTL); Invalidate ends
// it everywhere.
func TestNegativeCachedInCluster(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	var loads atomic.Int64
	var present atomic.Bool
	loader := LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
		loads.Add(1)
		if present.Load() {
			return []byte("now-" + key), nil
		}
		return nil, ErrNotFound
	})
	const negTTL = 20 * time.Second
	mk := func(noL1 bool) *Client {
		return newClient(t, tc, func(c *Config) { c.Loader, c.NegativeTTL, c.L1.Disabled = loader, negTTL, noL1 })
	}
	a, b, plain := mk(false), mk(false), mk(true)
	keys := []string{"neg:1", "neg:2", "neg:3"}
	for _, k := range keys {
		if _, err := a.Get(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a.Get(%s) = %v, want ErrNotFound", k, err)
		}
		pttl, err := tc.raw.PTTL(ctx, k).Result()
		if err != nil || pttl <= 0 || pttl > negTTL {
			t.Fatalf("%s in the cluster: PTTL %v %v, want (0, %v]", k, pttl, err, negTTL)
		}
	}
	for _, c := range []*Client{a, b, plain, b, plain} {
		for _, k := range keys {
			if _, err := c.Get(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get(%s) = %v, want ErrNotFound", k, err)
			}
		}
	}
	if got, err := b.GetMany(ctx, keys); err != nil || len(got) != 0 {
		t.Fatalf("GetMany of negative keys = %v %v, want empty", got, err)
	}
	if n := loads.Load(); n != int64(len(keys)) {
		t.Fatalf("%d origin loads for %d absent keys read by 3 instances, want %d", n, len(keys), len(keys))
	}
	present.Store(true)
	if err := plain.Invalidate(ctx, "neg:1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Client{a, b, plain} {
		poll.Until(t, 3*time.Second, "neg:1 loaded after Invalidate", func() bool {
			r, err := c.Get(ctx, "neg:1")
			return err == nil && string(r.Value) == "now-neg:1"
		})
	}
}

// TestOriginBreakerPerKeyGroup: with OriginGroups, failing loads of one
// group open that group's breaker only; another group still loads. The
// control (one breaker) refuses the other group too.
func TestOriginBreakerPerKeyGroup(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	loader := LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
		if key[0] == 'a' {
			return nil, errors.New("table a is down")
		}
		return []byte("v"), nil
	})
	for _, grouped := range []bool{true, false} {
		t.Run(fmt.Sprintf("grouped=%v", grouped), func(t *testing.T) {
			c := newClient(t, tc, func(c *Config) {
				c.Loader, c.Breaker.ConsecutiveFailures, c.Breaker.OpenTimeout = loader, 3, time.Minute
				if grouped {
					c.Breaker.OriginGroups = []string{"a:", "b:"}
				}
			})
			for i := range 5 {
				if _, err := c.Get(ctx, fmt.Sprintf("a:%v:%d", grouped, i)); !errors.Is(err, ErrOriginUnavailable) {
					t.Fatalf("a:%d: %v, want ErrOriginUnavailable", i, err)
				}
			}
			_, err := c.Get(ctx, fmt.Sprintf("b:%v", grouped))
			st := c.Stats().Breakers
			t.Logf("breakers %v; b after a's failures: %v", st, err)
			if grouped {
				if err != nil || st["origin a:"] != "open" || st["origin b:"] != "closed" || st["origin"] != "closed" {
					t.Fatalf("b: %v, breakers %v; want b loaded and only a's breaker open", err, st)
				}
			} else if !errors.Is(err, gobreaker.ErrOpenState) {
				t.Fatalf("b with one origin breaker: %v, want the open breaker", err)
			}
		})
	}
}
