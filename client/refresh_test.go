package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestEarlyRefreshReloadsBeforeExpiry: with EarlyRefresh (β large enough
// that every read near expiry refreshes) Gets keep returning the current
// value while a background reload replaces it in the cluster before its
// TTL ends: the key never disappears from the cluster. Control: without it
// the value is loaded once.
func TestEarlyRefreshReloadsBeforeExpiry(t *testing.T) {
	tc := startCluster(t)
	for _, beta := range []float64{1e6, 0} {
		t.Run(fmt.Sprintf("beta=%g", beta), func(t *testing.T) {
			ctx := context.Background()
			key := fmt.Sprintf("early:%g", beta)
			var version atomic.Int64
			c := newClient(t, tc, func(cfg *Config) {
				cfg.TTL, cfg.TTLJitter, cfg.EarlyRefresh = 2*time.Second, 0, beta
				cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
					return []byte(fmt.Sprintf("v%d", version.Add(1))), nil
				})
			})
			if r, err := c.Get(ctx, key); err != nil || string(r.Value) != "v1" {
				t.Fatalf("first Get: %q %v", r.Value, err)
			}
			for end := time.Now().Add(time.Second); time.Now().Before(end); {
				if _, err := c.Get(ctx, key); err != nil {
					t.Fatal(err)
				}
				if _, err := tc.raw.Get(ctx, key).Result(); errors.Is(err, redis.Nil) {
					t.Fatal("the key disappeared from the cluster")
				}
			}
			cluster, _ := tc.raw.Get(ctx, key).Result()
			st := c.Stats()
			t.Logf("beta %g: %d loads in 1s of reads (early refreshes %d), cluster holds %s", beta, version.Load(), st.EarlyRefreshes, cluster)
			if beta > 0 && (st.EarlyRefreshes == 0 || cluster == "v1") {
				t.Fatalf("no early refresh: %d refreshes, cluster %q", st.EarlyRefreshes, cluster)
			}
			if beta == 0 && (version.Load() != 1 || st.EarlyRefreshes != 0) {
				t.Fatalf("control: %d loads, %d refreshes; want 1, 0", version.Load(), st.EarlyRefreshes)
			}
		})
	}
}
