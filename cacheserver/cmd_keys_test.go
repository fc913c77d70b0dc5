package cacheserver

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestKeyExpiresOnTime polls (with a deadline) until keys set with PX,
// PEXPIRE and GETEX PX disappear, and checks TTL answers -2 afterwards.
func TestKeyExpiresOnTime(t *testing.T) {
	ctx := context.Background()
	rdb := goRedisClient(t, startCmdServer(t), 3)
	rdb.Set(ctx, "a", "v", 50*time.Millisecond)
	rdb.Set(ctx, "b", "v", 0)
	rdb.PExpire(ctx, "b", 50*time.Millisecond)
	rdb.Set(ctx, "c", "v", 0)
	rdb.GetEx(ctx, "c", 50*time.Millisecond)
	rdb.Set(ctx, "keep", "v", time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(ctx, "a", "b", "c").Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("keys with a 50ms TTL still exist after 5s")
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	for _, k := range []string{"a", "b", "c"} {
		if d := rdb.TTL(ctx, k).Val(); d != -2 {
			t.Errorf("TTL %s = %v, want -2", k, d)
		}
	}
	if rdb.Exists(ctx, "keep").Val() != 1 {
		t.Error("key with a 1h TTL is gone")
	}
}

// TestScanGuarantee: a full SCAN iteration returns every key present
// throughout, while other keys are added and removed concurrently.
func TestScanGuarantee(t *testing.T) {
	ctx := context.Background()
	addr := startCmdServer(t)
	rdb := goRedisClient(t, addr, 2)
	const stable = 3000
	for i := 0; i < stable; i += 100 {
		var kv []any
		for j := i; j < i+100; j++ {
			kv = append(kv, fmt.Sprintf("stable:%d", j), "v")
		}
		if err := rdb.MSet(ctx, kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	churn := goRedisClient(t, addr, 2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := fmt.Sprintf("churn:%d", i%5000)
			if i%3 == 0 {
				churn.Del(ctx, k)
			} else {
				churn.Set(ctx, k, "v", 0)
			}
		}
	}()
	seen := make(map[string]bool)
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "", 17).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	for i := 0; i < stable; i++ {
		if k := fmt.Sprintf("stable:%d", i); !seen[k] {
			t.Fatalf("SCAN missed %s (saw %d keys)", k, len(seen))
		}
	}
}
