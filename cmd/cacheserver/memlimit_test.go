package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/promtest"
)

func TestMemoryLimitFormula(t *testing.T) {
	for mm, want := range map[int64]int64{
		0:         math.MaxInt64,
		100 << 20: 100<<20 + 25<<20 + 64<<20,
		1 << 30:   1<<30 + 256<<20 + 64<<20,
	} {
		if got := memoryLimit(mm); got != want {
			t.Errorf("memoryLimit(%d) = %d, want %d", mm, got, want)
		}
	}
}

// freeLowPort returns a free TCP port below the kernel's ephemeral range
// (32768-60999 here), so that no outgoing connection of a concurrently
// running test takes it between this check and the server's bind (a port
// from :0 is ephemeral and can be).
func freeLowPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port in 20000-32000")
	return 0
}

// startWithAdmin starts the binary with an admin port and returns a
// client and the /metrics URL.
func startWithAdmin(t *testing.T, env []string, args ...string) (*redis.Client, string) {
	t.Helper()
	admin := freeLowPort(t)
	_, addr, _ := startBinaryEnv(t, env, append(args, "--admin-port", strconv.Itoa(admin), "--cluster-enabled=false")...)
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: "hunter2"})
	t.Cleanup(func() { _ = rdb.Close() })
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", admin)
	poll.Until(t, 10*time.Second, "the admin server to answer", func() bool {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return rdb, url
}

// TestMemoryLimitFollowsMaxmemory reads the Go memory limit the process
// runs with (go_gc_gomemlimit_bytes on /metrics): set from --maxmemory at
// start, moved by CONFIG SET maxmemory.
func TestMemoryLimitFollowsMaxmemory(t *testing.T) {
	rdb, metrics := startWithAdmin(t, []string{"GOMEMLIMIT="}, "--maxmemory", "100mb")
	if got := promtest.Scrape(t, metrics)["go_gc_gomemlimit_bytes"]; got != float64(memoryLimit(100<<20)) {
		t.Fatalf("limit %v at start, want %d", got, memoryLimit(100<<20))
	}
	if err := rdb.ConfigSet(context.Background(), "maxmemory", "200mb").Err(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the limit to follow CONFIG SET maxmemory", func() bool {
		return promtest.Scrape(t, metrics)["go_gc_gomemlimit_bytes"] == float64(memoryLimit(200<<20))
	})
}

// TestExplicitGOMEMLIMITWins: with GOMEMLIMIT in the environment neither
// --maxmemory nor CONFIG SET changes the limit.
func TestExplicitGOMEMLIMITWins(t *testing.T) {
	rdb, metrics := startWithAdmin(t, []string{"GOMEMLIMIT=300MiB"}, "--maxmemory", "100mb")
	if err := rdb.ConfigSet(context.Background(), "maxmemory", "200mb").Err(); err != nil {
		t.Fatal(err)
	}
	if got := promtest.Scrape(t, metrics)["go_gc_gomemlimit_bytes"]; got != 300<<20 {
		t.Fatalf("limit %v, want GOMEMLIMIT's %d", got, 300<<20)
	}
}
