package cacheserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestTrackingPushesNeverSplitReplies pipelines large GETs on a tracking
// connection while another connection keeps writing the keys it reads:
// every frame must parse, pushes must be whole invalidations, and the
// replies must arrive complete and in order between them.
func TestTrackingPushesNeverSplitReplies(t *testing.T) {
	srv := startServer(t, testConfig())
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	big := strings.Repeat("v", 200<<10)
	for i := 0; i < 8; i++ {
		w.must("+OK\r\n", "SET", "big"+strconv.Itoa(i), big)
	}
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if got := w.do("SET", "big"+strconv.Itoa(i%8), big); got != "+OK\r\n" {
				t.Errorf("SET: %q", got)
				return
			}
		}
	}()
	const rounds, batch = 20, 16
	wantReply := fmt.Sprintf("$%d\r\n%s\r\n", len(big), big)
	pushes := 0
	for r := 0; r < rounds; r++ {
		var cmds strings.Builder
		for i := 0; i < batch; i++ {
			cmds.WriteString(fmt.Sprintf("*2\r\n$3\r\nGET\r\n$4\r\nbig%d\r\n", i%8))
		}
		a.send(cmds.String())
		for got := 0; got < batch; {
			f := a.reply()
			switch {
			case strings.HasPrefix(f, ">"):
				if !strings.HasPrefix(f, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nbig") {
					t.Fatalf("bad push %q", f[:min(len(f), 80)])
				}
				pushes++
			case f != wantReply:
				t.Fatalf("reply %d of round %d corrupt: %q...", got, r, f[:min(len(f), 80)])
			default:
				got++
			}
		}
	}
	if pushes == 0 {
		t.Fatal("no invalidation arrived during the pipelines")
	}
	t.Logf("%d replies, %d pushes", rounds*batch, pushes)
}

// TestTrackingSlowReaderDisconnected: a BCAST client that never reads is
// closed once its pushes pass OutputBufferLimit; writers are not blocked.
func TestTrackingSlowReaderDisconnected(t *testing.T) {
	cfg := testConfig()
	cfg.OutputBufferLimit = 256 << 10
	srv := startServer(t, cfg)
	lazy, w := dialResp3(t, srv), dialRaw(t, srv)
	lazy.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST")
	key := strings.Repeat("k", 4000)
	args := []string{"MSET"}
	for i := 0; i < 50; i++ {
		args = append(args, key+strconv.Itoa(i), "v")
	}
	for i := 0; len(srv.connList()) == 2; i++ {
		if i > 10000 { // 2 GB of invalidations: the limit did not act
			t.Fatal("a client that never reads was not disconnected")
		}
		w.must("+OK\r\n", args...)
	}
	w.must("+PONG\r\n", "PING")
	if got := infoField(t, w, "tracking_clients"); got != "0" {
		t.Fatalf("tracking_clients %s after the disconnect", got)
	}
}

// TestTrackingGoRedisClientSideCache runs go-redis v9's own client-side
// cache (RESP3, CLIENT TRACKING ON per pooled connection) against
// cacheserver while other clients write: a cached read must never return a
// value that was superseded by a write acknowledged more than staleBound
// before the read started.
func TestTrackingGoRedisClientSideCache(t *testing.T) {
	const keys, staleBound = 8, 500 * time.Millisecond
	addr := startCmdServer(t)
	ctx := context.Background()
	reader := redis.NewClient(&redis.Options{Addr: addr, Protocol: 3, DisableIdentity: true,
		ClientSideCacheConfig: &redis.ClientSideCacheConfig{MaxEntries: 1000}})
	t.Cleanup(func() { _ = reader.Close() })
	h := newAckHistory(keys)
	writers := []*redis.Client{goRedisClient(t, addr, 2), goRedisClient(t, addr, 2)}
	var wg sync.WaitGroup
	var stop atomic.Bool
	t.Cleanup(func() { stop.Store(true); wg.Wait() }) // before the clients and server close
	for wr, writer := range writers {
		wg.Add(1)
		go func() { // writer wr owns keys wr, wr+2, ...: one writer per key
			defer wg.Done()
			for seq := 1; !stop.Load(); seq++ {
				for k := wr; k < keys; k += 2 {
					if err := writer.Set(ctx, key(k), seq, 0).Err(); err != nil {
						t.Errorf("SET: %v", err)
						return
					}
					h.ack(k, seq)
				}
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	reads := 0
	for ; time.Now().Before(deadline); reads++ {
		k := reads % keys
		start := time.Now()
		v, err := reader.Get(ctx, key(k)).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		seq, _ := strconv.Atoi(v)
		if newer, at := h.supersededBy(k, seq); newer && start.Sub(at) > staleBound {
			t.Fatalf("GET %s = %d at %v, but %d was acknowledged %v before", key(k), seq,
				start.Format(time.StampMicro), seq+1, start.Sub(at))
		}
	}
	st := reader.CSCStats()
	if st.Hits == 0 {
		t.Fatalf("the client-side cache was never hit: %+v", st)
	}
	t.Logf("%d reads, cache %+v", reads, st)
}

func key(i int) string { return "csc:" + strconv.Itoa(i) }

// ackHistory records when each (key, seq) write was acknowledged.
type ackHistory struct {
	mu   sync.Mutex
	acks []map[int]time.Time
}

func newAckHistory(n int) *ackHistory {
	h := &ackHistory{acks: make([]map[int]time.Time, n)}
	for i := range h.acks {
		h.acks[i] = map[int]time.Time{}
	}
	return h
}

func (h *ackHistory) ack(k, seq int) {
	now := time.Now()
	h.mu.Lock()
	h.acks[k][seq] = now
	h.mu.Unlock()
}

// supersededBy reports whether seq+1 was acknowledged for k, and when.
func (h *ackHistory) supersededBy(k, seq int) (bool, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, ok := h.acks[k][seq+1]
	return ok, at
}
