package cacheserver

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
)

// TestWatchedKeyExpiryAbortsExec: a watched key that expires before EXEC
// aborts the transaction, on cacheserver as on redis-server, whether the
// expiry was noticed by a read (lazy) or by the expiry cycle (active).
func TestWatchedKeyExpiryAbortsExec(t *testing.T) {
	ref := redistest.StartServer(t)
	srv := startServer(t, testConfig())
	ctx := context.Background()
	for _, target := range []struct{ name, addr string }{{"redis-server", ref.Addr}, {"cacheserver", srv.Addr().String()}} {
		for _, lazy := range []bool{true, false} {
			c := redis.NewClient(&redis.Options{Addr: target.addr})
			other := redis.NewClient(&redis.Options{Addr: target.addr})
			if err := c.Set(ctx, "w", "v", 100*time.Millisecond).Err(); err != nil {
				t.Fatal(err)
			}
			err := c.Watch(ctx, func(tx *redis.Tx) error {
				poll.Until(t, 5*time.Second, "the watched key to expire", func() bool {
					if lazy {
						return other.Exists(ctx, "w").Val() == 0
					}
					return other.DBSize(ctx).Val() == 0 // the expiry cycle removed it
				})
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, "w", "mine", 0)
					return nil
				})
				return err
			}, "w")
			if err != redis.TxFailedErr {
				t.Errorf("%s (lazy=%v): EXEC after the watched key expired: %v, want an aborted transaction", target.name, lazy, err)
			}
			c.Close()
			other.Close()
		}
	}
}
