package origin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ringcache/ringcache/internal/redistest"
)

func newRedisOrigin(t *testing.T, cfg RedisConfig) *RedisOrigin {
	t.Helper()
	o, err := NewRedis(cfg)
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

// redisWithData starts redis-server holding app:a, app:empty and
// app:k000…app:k249.
func redisWithData(t *testing.T, extra ...string) *redistest.Server {
	t.Helper()
	s := redistest.StartServer(t, extra...)
	args := []string{"MSET", "app:a", "alpha", "app:empty", ""}
	for i := range 250 {
		args = append(args, fmt.Sprintf("app:k%03d", i), fmt.Sprintf("v%d", i))
	}
	if reply, err := s.Do(args...); err != nil || reply != "+OK" {
		t.Fatalf("MSET: %q %v", reply, err)
	}
	if reply, err := s.Do("RPUSH", "app:list", "x"); err != nil || reply != ":1" {
		t.Fatalf("RPUSH: %q %v", reply, err)
	}
	return s
}

// startRedisForBench starts redis-server holding keys "0"…"999" with
// 100-byte values and returns its address.
func startRedisForBench(b *testing.B) string {
	s := redistest.StartServer(b)
	args := []string{"MSET"}
	for i := range 1000 {
		args = append(args, fmt.Sprint(i), strings.Repeat("x", 100))
	}
	if reply, err := s.Do(args...); err != nil || reply != "+OK" {
		b.Fatalf("MSET: %q %v", reply, err)
	}
	return s.Addr
}

func manyKeys() ([]string, map[string]string) {
	keys := []string{"missing", "empty", "k000", "k000"}
	want := map[string]string{"empty": "", "k000": "v0"}
	for i := 0; i < 250; i += 2 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
		want[fmt.Sprintf("k%03d", i)] = fmt.Sprintf("v%d", i)
	}
	return keys, want
}

func TestRedis(t *testing.T) {
	s := redisWithData(t)
	cfg := DefaultRedisConfig()
	cfg.Addrs = []string{s.Addr}
	cfg.KeyPrefix = "app:"
	o := newRedisOrigin(t, cfg)
	checkLoad(t, o, "a", []byte("alpha"))
	checkLoad(t, o, "empty", []byte{})
	checkLoad(t, o, "missing", nil)
	if _, err := o.Load(context.Background(), "list"); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("Load(list) err = %v, want WRONGTYPE", err)
	}
	keys, want := manyKeys()
	for _, batch := range []int{1, 7, 500} {
		cfg.BatchSize = batch
		checkMany(t, newRedisOrigin(t, cfg), keys, want)
	}
	checkMany(t, o, nil, map[string]string{})
}

// TestRedisCluster runs LoadMany against a one-node Redis Cluster, where
// keys of different slots must not share an MGET.
func TestRedisCluster(t *testing.T) {
	s := redistest.StartServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	if reply, err := s.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil || reply != "+OK" {
		t.Fatalf("ADDSLOTSRANGE: %q %v", reply, err)
	}
	waitClusterOK(t, s.Addr)
	keys, want := manyKeys()
	for k, v := range want {
		if reply, err := s.Do("SET", "app:"+k, v); err != nil || reply != "+OK" {
			t.Fatalf("SET: %q %v", reply, err)
		}
	}
	cfg := DefaultRedisConfig()
	cfg.Addrs, cfg.Cluster, cfg.KeyPrefix = []string{s.Addr}, true, "app:"
	for _, batch := range []int{7, 500} {
		cfg.BatchSize = batch
		o := newRedisOrigin(t, cfg)
		if !o.cluster {
			t.Fatal("Cluster config did not give a cluster client")
		}
		checkLoad(t, o, "k002", []byte("v2"))
		checkLoad(t, o, "missing", nil)
		checkMany(t, o, keys, want)
	}
}

func waitClusterOK(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := c.ClusterInfo(context.Background()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %v %q", err, info)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// TestRedisDeadline pauses every client of the server: Load must return
// DeadlineExceeded at its 100 ms deadline, not at the pause's end.
func TestRedisDeadline(t *testing.T) {
	s := redisWithData(t)
	cfg := DefaultRedisConfig()
	cfg.Addrs, cfg.KeyPrefix = []string{s.Addr}, "app:"
	cfg.ReadTimeout = 30 * time.Second // the context, not the timeout, must end the call
	o := newRedisOrigin(t, cfg)
	checkLoad(t, o, "a", []byte("alpha"))
	if reply, err := s.Do("CLIENT", "PAUSE", "3000", "ALL"); err != nil || reply != "+OK" {
		t.Fatalf("CLIENT PAUSE: %q %v", reply, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := o.Load(ctx, "a")
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load err = %v, want DeadlineExceeded", err)
	}
	t.Logf("redis: Load with a 100ms deadline against a paused server returned after %v: %v", elapsed, err)
	if elapsed > 2500*time.Millisecond {
		t.Fatalf("Load waited %v, for the pause rather than its deadline", elapsed)
	}
}

// TestRedisDown shuts the server down under a working origin: Load must fail
// promptly (connection refused), not hang, and report how long it took.
func TestRedisDown(t *testing.T) {
	s := redisWithData(t)
	cfg := DefaultRedisConfig()
	cfg.Addrs, cfg.KeyPrefix = []string{s.Addr}, "app:"
	o := newRedisOrigin(t, cfg)
	checkLoad(t, o, "a", []byte("alpha"))
	_, _ = s.Do("SHUTDOWN", "NOSAVE") // the reply is the connection closing
	waitRefused(t, s.Addr)
	for _, what := range []string{"first Load after shutdown (pooled connection dead)", "second Load after shutdown"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		_, err := o.Load(ctx, "a")
		elapsed := time.Since(start)
		cancel()
		if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want a connection error", what, err)
		}
		t.Logf("redis down: %s failed after %v: %v", what, elapsed, err)
	}
	start := time.Now()
	_, err := o.LoadMany(context.Background(), []string{"a", "b"})
	if err == nil {
		t.Fatal("LoadMany with the server down succeeded")
	}
	t.Logf("redis down: LoadMany failed after %v: %v", time.Since(start), err)
}

// TestRedisHungServer points the origin at a server that accepts but never
// answers, with no deadline on the context: the default timeouts must end
// the call.
func TestRedisHungServer(t *testing.T) {
	cfg := DefaultRedisConfig()
	cfg.Addrs = []string{blackHole(t)}
	o := newRedisOrigin(t, cfg)
	start := time.Now()
	_, err := o.Load(context.Background(), "a")
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Load against a hung server succeeded")
	}
	t.Logf("redis hung: Load with default config and no ctx deadline failed after %v: %v", elapsed, err)
	if elapsed > 20*time.Second {
		t.Fatalf("Load took %v against a hung server", elapsed)
	}
}

func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := (&redistest.Server{Addr: addr}).Do("PING"); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server still answers after SHUTDOWN")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

func TestRedisConfigAndClose(t *testing.T) {
	bad := map[string]func(*RedisConfig){
		"no addrs":     func(c *RedisConfig) { c.Addrs = nil },
		"batch 0":      func(c *RedisConfig) { c.BatchSize = 0 },
		"dial timeout": func(c *RedisConfig) { c.DialTimeout = 0 },
		"dial retries": func(c *RedisConfig) { c.DialRetries = 0 },
		"max retries":  func(c *RedisConfig) { c.MaxRetries = -2 },
		"pool size":    func(c *RedisConfig) { c.PoolSize = -1 },
	}
	for name, mutate := range bad {
		cfg := DefaultRedisConfig()
		cfg.Addrs = []string{"127.0.0.1:1"}
		mutate(&cfg)
		if o, err := NewRedis(cfg); err == nil {
			_ = o.Close()
			t.Errorf("%s: NewRedis accepted %+v", name, cfg)
		}
	}
	if _, err := NewRedisFromClient(nil, DefaultRedisConfig()); err == nil {
		t.Error("NewRedisFromClient(nil) succeeded")
	}
	s := redisWithData(t)
	client := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer client.Close()
	o, err := NewRedisFromClient(client, DefaultRedisConfig())
	if err != nil {
		t.Fatal(err)
	}
	checkLoad(t, o, "app:a", []byte("alpha"))
	if err := errors.Join(o.Close(), o.Close()); err != nil {
		t.Fatalf("Close twice: %v", err)
	}
	if _, err := o.Load(context.Background(), "app:a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close err = %v, want ErrClosed", err)
	}
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Close closed the caller's client: %v", err)
	}
}
