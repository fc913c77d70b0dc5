package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/poll"
)

// TestSIGSTOPNodeFencesItself pauses a real node (SIGSTOP) for longer than
// failure detection while the others take writes, then resumes it: the
// first commands it reads after SIGCONT are refused with CLUSTERDOWN (its
// lease ran out on the monotonic clock while it was stopped), none of them
// returns a pre-pause value, and once it is back in the ring no key
// returns a pre-pause value through any node. RINGCACHE_BINARY runs it
// against another build (the old code fails it).
func TestSIGSTOPNodeFencesItself(t *testing.T) {
	opts := launch.Options{N: 3, Binary: os.Getenv("RINGCACHE_BINARY")}
	c := launch.StartT(t, opts)
	ctx := context.Background()
	n1, paused := c.Nodes()[0], c.Nodes()[2]
	r1 := redis.NewClient(&redis.Options{Addr: n1.Addr, MaxRetries: 20})
	defer r1.Close()
	keys := make([]string, 300)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%d", i)
	}
	setAll(t, r1, keys, "old")

	if err := syscall.Kill(paused.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = syscall.Kill(paused.Pid(), syscall.SIGCONT)
		}
	})
	poll.Until(t, 20*time.Second, "the two others to route without the stopped node", func() bool {
		return membersAgree(ctx, 2, c.Nodes()[:2]...)
	})
	t.Logf("others moved on %v after SIGSTOP", time.Since(stopped))
	setAll(t, r1, keys, "new")

	// Queue GETs in the stopped node's socket buffer: it reads them first
	// thing on SIGCONT.
	nc, err := net.Dial("tcp", paused.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var req []byte
	for _, k := range keys {
		req = fmt.Appendf(req, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(k), k)
	}
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(paused.Pid(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	cont := time.Now()
	down, stale := readGETReplies(t, nc, len(keys))
	t.Logf("resumed node: %d of %d GETs answered CLUSTERDOWN, %d returned a pre-pause value", down, len(keys), stale)
	if down != len(keys) || stale != 0 {
		t.Errorf("resumed node served %d GETs with a pre-pause value and refused %d of %d", stale, down, len(keys))
	}
	if err := c.WaitAgreed(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("resumed node serves again %v after SIGCONT", time.Since(cont))
	for _, n := range c.Nodes() {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: 20})
		if s := countStale(t, rdb, keys); s != 0 {
			t.Errorf("%d keys returned their pre-pause value through %s", s, n.Name)
		}
		rdb.Close()
	}
}

// readGETReplies reads n GET replies and counts CLUSTERDOWN errors and
// "old" values.
func readGETReplies(t *testing.T, nc net.Conn, n int) (down, stale int) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	for range n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading replies: %v", err)
		}
		switch {
		case strings.HasPrefix(line, "-CLUSTERDOWN The cluster is down"):
			down++
		case strings.HasPrefix(line, "$-1"):
		case strings.HasPrefix(line, "$"):
			v, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading replies: %v", err)
			}
			if strings.TrimSpace(v) == "old" {
				stale++
			}
		default:
			t.Fatalf("GET on the resumed node: %q", line)
		}
	}
	return down, stale
}

func setAll(t *testing.T, rdb *redis.Client, keys []string, val string) {
	t.Helper()
	for _, k := range keys {
		if err := rdb.Set(context.Background(), k, val, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
}

// countStale GETs every key and counts the replies "old".
func countStale(t *testing.T, rdb *redis.Client, keys []string) int {
	t.Helper()
	n := 0
	for _, k := range keys {
		v, err := rdb.Get(context.Background(), k).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("GET %s: %v", k, err)
		}
		if v == "old" {
			n++
		}
	}
	return n
}

// membersAgree reports whether nodes report a ring of want members with
// one epoch.
func membersAgree(ctx context.Context, want int, nodes ...*launch.Node) bool {
	epoch := ""
	for _, n := range nodes {
		info, err := n.Info(ctx, "ringcache")
		if err != nil || info["ringcache_members"] != fmt.Sprint(want) ||
			(epoch != "" && info["ringcache_ring_epoch"] != epoch) {
			return false
		}
		epoch = info["ringcache_ring_epoch"]
	}
	return true
}
