package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/ring"
)

// TestMeasureFailover reports, over RINGCACHE_MEASURE_RUNS runs (default
// 10) with LAN timers and one replica, the time from SIGKILL of the owner
// of 200 keys (written with WAIT 1 through another node) until reads of
// them through a forwarding node succeed again and until writes do, and
// how many of the keys were lost (RINGCACHE_MEASURE=1).
func TestMeasureFailover(t *testing.T) {
	if os.Getenv("RINGCACHE_MEASURE") == "" {
		t.Skip("measurement: set RINGCACHE_MEASURE=1")
	}
	runs := 10
	if n, err := strconv.Atoi(os.Getenv("RINGCACHE_MEASURE_RUNS")); err == nil && n > 0 {
		runs = n
	}
	var reads, writes []time.Duration
	lost := 0
	for range runs {
		c := launch.StartT(t, launch.Options{N: 3, LANGossip: true, Timeout: time.Minute})
		r, w, l := failoverOnce(t, c)
		reads, writes, lost = append(reads, r), append(writes, w), lost+l
		c.Close()
	}
	slices.Sort(reads)
	slices.Sort(writes)
	pct := func(ds []time.Duration, p float64) time.Duration {
		return ds[int(p*float64(len(ds)-1))].Round(time.Millisecond)
	}
	t.Logf("SIGKILL → reads served: p50 %v p99(max) %v; → writes served: p50 %v p99(max) %v; %d runs; keys lost (WAIT 1): %d of %d",
		pct(reads, 0.5), pct(reads, 1), pct(writes, 0.5), pct(writes, 1), runs, lost, 200*runs)
}

// failoverOnce kills the second node and measures until its keys are read
// and written through the first.
func failoverOnce(t *testing.T, c *launch.Cluster) (reads, writes time.Duration, lost int) {
	ctx := context.Background()
	entry := redis.NewClient(&redis.Options{Addr: c.Nodes()[0].Addr, MaxRetries: -1})
	defer entry.Close()
	victim := c.Nodes()[1]
	victimRing := ownerOf(t, c)
	var keys []string
	for i := 0; len(keys) < 200; i++ {
		if k := fmt.Sprintf("fk:%d", i); victimRing(k) == victim.Name {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if err := entry.Set(ctx, k, "v-"+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := entry.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %v, %v", n, err)
	}
	start := time.Now()
	victim.Kill()
	deadline := start.Add(30 * time.Second)
	for reads == 0 || writes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not serving 30s after SIGKILL")
		}
		if reads == 0 && entry.Get(ctx, keys[0]).Val() == "v-"+keys[0] {
			reads = time.Since(start)
		}
		if writes == 0 && entry.Set(ctx, keys[1], "v-"+keys[1], 0).Err() == nil {
			writes = time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.WaitAgreedOn(ctx, func() []*launch.Node { return []*launch.Node{c.Nodes()[0], c.Nodes()[2]} }); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if entry.Get(ctx, k).Val() != "v-"+k {
			lost++
		}
	}
	return reads, writes, lost
}

// ownerOf returns the owner of a key in the cluster's current ring.
func ownerOf(t *testing.T, c *launch.Cluster) func(string) string {
	var ms []ring.Member
	for _, n := range c.Nodes() {
		info, err := n.Info(context.Background(), "ringcache")
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, ring.Member{Name: info["ringcache_node"]})
	}
	r, err := ring.Build(ring.DefaultConfig(), ms)
	if err != nil {
		t.Fatal(err)
	}
	return func(k string) string { return r.Owner(k).Name }
}
