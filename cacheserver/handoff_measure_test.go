package cacheserver_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
)

// TestHandoffThroughputLong measures a hand-off: one node holds
// RINGCACHE_HANDOFF_KEYS keys (default 1,000,000) of 100 bytes, a second
// joins and copies its share at an unlimited rate, without and with a
// GET/SET load on the first; it reports the copy rate and the raw loopback
// TCP copy rate of the same bytes. Numbers are logged, never asserted
// (docs/cluster.md quotes them). make test-long only.
func TestHandoffThroughputLong(t *testing.T) {
	if os.Getenv("RINGCACHE_LONG") == "" {
		t.Skip("hand-off of 1M keys: set RINGCACHE_LONG=1 (make test-long)")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("RINGCACHE_HANDOFF_KEYS")); err == nil && v > 0 {
		n = v
	}
	for _, loaded := range []bool{false, true} {
		t.Run(fmt.Sprintf("load=%v", loaded), func(t *testing.T) { measureHandoff(t, n, loaded) })
	}
}

func measureHandoff(t *testing.T, n int, loaded bool) {
	c := cachetest.Start(t, cachetest.Options{N: 1, Logger: debugLogger(), Timeout: 2 * time.Minute, Configure: func(_ string, cfg *cacheserver.Config) {
		cfg.Cluster.HandoffRate = 1 << 40
	}})
	rdb := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr})
	defer rdb.Close()
	ctx := context.Background()
	val := make([]byte, 100)
	for i := 0; i < n; i += 10_000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+10_000, n); j++ {
				p.Set(ctx, "k:"+strconv.Itoa(j), val, 0)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var ops atomic.Int64
	var wg sync.WaitGroup
	if loaded {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr, MaxRetries: 10})
				defer cl.Close()
				for i := w; !stop.Load(); i += 4 {
					k := "k:" + strconv.Itoa(i*7919%n)
					_ = cl.Get(ctx, k).Err()
					_ = cl.Set(ctx, k, val, 0).Err()
					ops.Add(2)
				}
			}()
		}
	}
	begin := time.Now()
	d := c.AddNode()
	c.WaitAgreed()
	took := time.Since(begin)
	stop.Store(true)
	wg.Wait()
	keys, _ := strconv.ParseInt(infoField(t, d.Addr, "ringcache_handoff_keys_in"), 10, 64)
	size, _ := strconv.ParseInt(infoField(t, d.Addr, "ringcache_handoff_bytes_in"), 10, 64)
	raw := loopbackRate(t, size)
	rate := float64(size) / took.Seconds()
	t.Logf("load=%v: %d keys (%.1f MB) copied in %v: %.0f keys/s, %.1f MB/s; raw loopback copy %.1f MB/s (ratio %.3f); load ops/s %.0f",
		loaded, keys, float64(size)/1e6, took.Round(time.Millisecond), float64(keys)/took.Seconds(), rate/1e6,
		raw/1e6, rate/raw, float64(ops.Load())/took.Seconds())
}

// loopbackRate copies size bytes over a loopback TCP connection and
// returns bytes/s.
func loopbackRate(t *testing.T, size int64) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err == nil {
			_, _ = io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	begin := time.Now()
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := c.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	<-done
	return float64(size) / time.Since(begin).Seconds()
}
