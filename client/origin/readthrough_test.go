package origin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/poll"
)

// TestReadThroughEachOrigin drives the SDK on a 3-node ringcache cluster
// through every read-through path with each real origin: a miss loads from
// the origin, then hits; an unknown key is cached as not found; with the
// origin really down (SQLite closed, redis-server shut down, PostgreSQL
// stopped) a value the cluster lost is served stale within the window, and
// a key never seen fails fast with ErrOriginUnavailable.
func TestReadThroughEachOrigin(t *testing.T) {
	cl := launch.StartT(t, launch.Options{N: 3})
	raw := redis.NewClient(&redis.Options{Addr: cl.Addrs()[0]})
	defer raw.Close()
	origins := []struct {
		name  string
		start func(t *testing.T) (client.Loader, func())
	}{
		{"sqlite", func(t *testing.T) (client.Loader, func()) {
			o := newSQLiteOrigin(t, sqliteFile(t, map[string][]byte{"a": []byte("alpha"), "k001": []byte("v1")}), DefaultSQLiteConfig())
			return o, func() { _ = o.Close() }
		}},
		{"redis", func(t *testing.T) (client.Loader, func()) {
			s := redisWithData(t)
			cfg := DefaultRedisConfig()
			cfg.Addrs, cfg.KeyPrefix = []string{s.Addr}, "app:"
			return newRedisOrigin(t, cfg), func() { _, _ = s.Do("SHUTDOWN", "NOSAVE") }
		}},
		{"postgres", func(t *testing.T) (client.Loader, func()) {
			s := startPostgres(t)
			return newPostgresOrigin(t, s.DSN, DefaultPostgresConfig()), s.Stop
		}},
	}
	for _, o := range origins {
		t.Run(o.name, func(t *testing.T) {
			for _, a := range cl.Addrs() { // every node is its own keyspace
				n := redis.NewClient(&redis.Options{Addr: a})
				err := n.FlushAll(context.Background()).Err()
				n.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			loader, down := o.start(t)
			readThrough(t, cl.Addrs(), raw, loader, down)
		})
	}
}

func readThrough(t *testing.T, seeds []string, raw *redis.Client, loader client.Loader, down func()) {
	ctx := context.Background()
	cfg := client.DefaultConfig()
	cfg.Seeds, cfg.Loader = seeds, loader
	cfg.StaleIfError, cfg.LoadTimeout = time.Hour, 2*time.Second
	cfg.ReadTimeout, cfg.WriteTimeout, cfg.DialTimeout = time.Second, time.Second, time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := client.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// Miss: loaded from the origin; then answered by the cluster or L1.
	if res, err := c.Get(ctx, "a"); err != nil || res.Tier != client.TierOrigin || string(res.Value) != "alpha" {
		t.Fatalf("first Get: %+v, %v", res, err)
	}
	loads := c.Stats().Loads
	poll.Until(t, 5*time.Second, "an L1 hit", func() bool {
		res, err := c.Get(ctx, "a")
		return err == nil && res.Tier == client.TierL1 && string(res.Value) == "alpha"
	})
	if got := c.Stats().Loads; got != loads {
		t.Fatalf("hits went to the origin: %d loads, want %d", got, loads)
	}

	// Not found: cached as a negative entry.
	poll.Until(t, 5*time.Second, "a negative hit", func() bool {
		_, err := c.Get(ctx, "missing")
		if !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("Get(missing): %v", err)
		}
		return c.Stats().NegativeHits > 0
	})

	// Origin down for real: a value the cluster lost is served stale.
	down()
	before := c.Stats().Invalidations
	if err := raw.Del(ctx, "a").Err(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "the invalidation", func() bool { return c.Stats().Invalidations > before })
	res, err := c.Get(ctx, "a")
	if err != nil || !res.Stale || string(res.Value) != "alpha" {
		t.Fatalf("stale-if-error: %+v, %v", res, err)
	}
	// A key never loaded fails with the typed error.
	if _, err := c.Get(ctx, "k001"); !errors.Is(err, client.ErrOriginUnavailable) {
		t.Fatalf("Get with the origin down: %v, want ErrOriginUnavailable", err)
	}
}
