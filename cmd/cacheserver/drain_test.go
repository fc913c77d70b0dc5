package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/poll"
)

// clusterClient is the go-redis ClusterClient set-up docs/cluster.md
// shows for moved mode.
func clusterClient(addrs []string) *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        addrs,
		DialTimeout:  time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		// A slot that just changed owner is answered TRYAGAIN until every
		// node has applied the change (two coalescing periods: 100ms with
		// the local profile, 1s LAN): retry for longer than that.
		MaxRedirects:    8,
		MinRetryBackoff: 64 * time.Millisecond,
		// MOVED makes the client reload its slot map at once; a short
		// reload interval also bounds staleness after a crash.
		ClusterStateReloadInterval: 2 * time.Second,
	})
}

// TestGracefulLeaveMovedModeClusterClient stops a real node with SIGTERM
// while go-redis ClusterClients drive reads and writes against a moved-mode
// cluster: the leaving node answers -MOVED to the new owner for its slots
// before it closes its listener (a plain connection to it sees that), and
// with the documented client settings no request fails.
func TestGracefulLeaveMovedModeClusterClient(t *testing.T) {
	c := launch.StartT(t, launch.Options{N: 3, Redirect: "moved", Binary: os.Getenv("RINGCACHE_BINARY")})
	rdb := clusterClient(c.Addrs())
	defer rdb.Close()
	ctx := context.Background()
	var ops, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("key:%d", rng.IntN(10000))
				err := rdb.Set(ctx, k, "v", 0).Err()
				if err == nil {
					err = rdb.Get(ctx, k).Err()
				}
				ops.Add(1)
				if err != nil && !errors.Is(err, redis.Nil) {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	poll.Until(t, 5*time.Second, "load to start", func() bool { return ops.Load() > 1000 })
	leaving := c.Nodes()[2]
	probe := probeMoved(t, leaving)
	if err := leaving.Stop(10 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if moved := <-probe; !strings.Contains(moved, "MOVED ") || strings.HasSuffix(moved, leaving.Addr) {
		t.Errorf("the leaving node's last answer for its own key before it closed was %q, want -MOVED to another node", moved)
	}
	after := ops.Load()
	poll.Until(t, 10*time.Second, "load to go on after the node exited", func() bool { return ops.Load() > after+2000 })
	if err := c.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d operations, %d failed (first: %v)", ops.Load(), failed.Load(), firstErr.Load())
	if failed.Load() != 0 {
		t.Errorf("%d of %d operations failed across a graceful leave; first: %v", failed.Load(), ops.Load(), firstErr.Load())
	}
}

// probeMoved GETs, over one plain connection to n, a key n owns, until the
// connection fails; it delivers the last error reply read before that.
func probeMoved(t *testing.T, n *launch.Node) <-chan string {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, PoolSize: 1})
	ctx := context.Background()
	key := ""
	for i := 0; key == ""; i++ {
		k := fmt.Sprintf("probe:%d", i)
		if err := rdb.Get(ctx, k).Err(); errors.Is(err, redis.Nil) {
			key = k // answered here, not -MOVED: n owns it
		}
	}
	out := make(chan string, 1)
	go func() {
		defer rdb.Close()
		last := ""
		for {
			err := rdb.Get(ctx, key).Err()
			var rerr redis.Error
			switch {
			case err == nil || errors.Is(err, redis.Nil):
				last = "(served here)"
			case errors.As(err, &rerr):
				last = err.Error()
			case err != nil && !errors.Is(err, redis.Nil):
				out <- last
				return
			}
		}
	}()
	return out
}
