package cacheserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/ring"
)

// leaseToken parses a ["LEASE", token] reply, failing on anything else.
func leaseToken(t *testing.T, reply string) string {
	t.Helper()
	parts := strings.Split(reply, "\r\n")
	if len(parts) < 3 || parts[0] != "*2" || parts[1] != "+LEASE" || !strings.HasPrefix(parts[2], ":") {
		t.Fatalf("want a LEASE reply, got %q", reply)
	}
	return parts[2][1:]
}

func TestLeaseGetSetWait(t *testing.T) {
	r := dialRaw(t, startServer(t, testConfig()))
	tok := leaseToken(t, r.do("LEASEGET", "k", "5000"))
	if got := r.do("LEASEGET", "k", "5000"); !strings.HasPrefix(got, "*2\r\n+WAIT\r\n:") {
		t.Fatalf("second LEASEGET = %q, want WAIT", got)
	}
	other, _ := strconv.ParseInt(tok, 10, 64)
	if got := r.do("LEASESET", "k", strconv.FormatInt(other+1, 10), "v"); got != "$-1\r\n" {
		t.Fatalf("LEASESET with a wrong token = %q, want null", got)
	}
	if got := r.do("LEASESET", "k", tok, "v", "PX", "60000"); got != "+OK\r\n" {
		t.Fatalf("LEASESET = %q, want OK", got)
	}
	if got := r.do("LEASESET", "k", tok, "v2"); got != "$-1\r\n" {
		t.Fatalf("LEASESET with a used token = %q, want null", got)
	}
	got := r.do("LEASEGET", "k", "5000")
	if !strings.HasPrefix(got, "*3\r\n+VALUE\r\n$1\r\nv\r\n:") {
		t.Fatalf("LEASEGET of a set key = %q, want VALUE v pttl", got)
	}
	if pttl, _ := strconv.Atoi(strings.TrimSuffix(strings.Split(got, ":")[1], "\r\n")); pttl <= 0 || pttl > 60000 {
		t.Fatalf("pttl in %q", got)
	}
	r.do("SET", "p", "x")
	if got := r.do("LEASEGET", "p", "10"); got != "*3\r\n+VALUE\r\n$1\r\nx\r\n:-1\r\n" {
		t.Fatalf("LEASEGET of a key without TTL = %q", got)
	}
}

// TestLeaseVoidedByWrites: any write to the key between LEASEGET and
// LEASESET refuses the LEASESET, whether or not it leaves the key absent.
func TestLeaseVoidedByWrites(t *testing.T) {
	r := dialRaw(t, startServer(t, testConfig()))
	writes := [][]string{{"DEL", "k"}, {"UNLINK", "k", "other"}, {"EXPIRE", "k", "10"},
		{"FLUSHALL"}, {"FLUSHDB"}, {"APPEND", "k", "x"}, {"INCR", "k"}, {"SET", "k", "new"}, {"MSET", "k", "v"}}
	for _, w := range writes {
		t.Run(w[0], func(t *testing.T) {
			r.do("DEL", "k")
			tok := leaseToken(t, r.do("LEASEGET", "k", "5000"))
			r.do(w...)
			if got := r.do("LEASESET", "k", tok, "stale"); got != "$-1\r\n" {
				t.Fatalf("LEASESET after %v = %q, want null", w, got)
			}
			if got := r.do("GET", "k"); got == "$5\r\nstale\r\n" {
				t.Fatalf("stale write-back landed after %v", w)
			}
		})
	}
	t.Run("MULTI", func(t *testing.T) {
		r.do("DEL", "k")
		tok := leaseToken(t, r.do("LEASEGET", "k", "5000"))
		r.do("MULTI")
		r.do("DEL", "k")
		if got := r.do("LEASESET", "k", tok, "v"); got != "-ERR Command not allowed inside a transaction\r\n" {
			t.Fatalf("LEASESET in MULTI = %q", got)
		}
		r.do("DISCARD")
		r.do("MULTI")
		r.do("DEL", "k")
		r.do("EXEC")
		if got := r.do("LEASESET", "k", tok, "stale"); got != "$-1\r\n" {
			t.Fatalf("LEASESET after EXEC of DEL = %q, want null", got)
		}
	})
}

// TestLeaseRaceWithDel: a DEL concurrent with LEASESET always leaves the key
// absent once both returned: either the LEASESET ran first and DEL removed
// its value, or DEL voided the token. Fails if writes do not void leases.
func TestLeaseRaceWithDel(t *testing.T) {
	srv := startServer(t, testConfig())
	a, b := dialRaw(t, srv), dialRaw(t, srv)
	for i := range 2000 {
		key := fmt.Sprintf("race:%d", i%50)
		tok := leaseToken(t, a.do("LEASEGET", key, "5000"))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.send(string(resp.AppendCommandStrings(nil, "DEL", key)))
		}()
		a.do("LEASESET", key, tok, "stale")
		wg.Wait()
		b.reply()
		if got := a.do("EXISTS", key); got != ":0\r\n" {
			t.Fatalf("iteration %d: the stale value survived a concurrent DEL", i)
		}
	}
}

func TestLeaseExpiresAndIsReleased(t *testing.T) {
	r := dialRaw(t, startServer(t, testConfig()))
	old := leaseToken(t, r.do("LEASEGET", "k", "20"))
	var next string
	pollUntil(t, "a new lease after the first expired", func() bool {
		next = r.do("LEASEGET", "k", "5000")
		return strings.HasPrefix(next, "*2\r\n+LEASE\r\n")
	})
	if got := r.do("LEASESET", "k", old, "v"); got != "$-1\r\n" {
		t.Fatalf("LEASESET with an expired, replaced token = %q, want null", got)
	}
	tok := leaseToken(t, next)
	if got := r.do("LEASEDEL", "k", old); got != ":0\r\n" {
		t.Fatalf("LEASEDEL with a dead token = %q", got)
	}
	if got := r.do("LEASEDEL", "k", tok); got != ":1\r\n" {
		t.Fatalf("LEASEDEL = %q", got)
	}
	leaseToken(t, r.do("LEASEGET", "k", "5000")) // released: granted at once
}

// TestLeaseTableBounded: past MaxKeys a miss gets NOLEASE, and expired
// leases make room again.
func TestLeaseTableBounded(t *testing.T) {
	cfg := testConfig()
	cfg.Leases.MaxKeys = leaseShardCount // one lease per shard
	srv := startServer(t, cfg)
	r := dialRaw(t, srv)
	k1, k2 := keysInOneLeaseShard()
	leaseToken(t, r.do("LEASEGET", k1, "30"))
	if got := r.do("LEASEGET", k2, "5000"); got != "*1\r\n+NOLEASE\r\n" {
		t.Fatalf("LEASEGET past MaxKeys = %q, want NOLEASE", got)
	}
	pollUntil(t, "the expired lease purged", func() bool {
		return strings.HasPrefix(r.do("LEASEGET", k2, "5000"), "*2\r\n+LEASE\r\n")
	})
	if n := srv.leases.active.Load(); n != 1 {
		t.Fatalf("active leases = %d, want 1", n)
	}
}

// keysInOneLeaseShard returns two keys whose slots share a lease shard.
func keysInOneLeaseShard() (string, string) {
	first := "bound:0"
	s0 := ring.KeySlot(first) % leaseShardCount
	for i := 1; ; i++ {
		k := fmt.Sprintf("bound:%d", i)
		if ring.KeySlot(k)%leaseShardCount == s0 {
			return first, k
		}
	}
}

func TestLeaseDropSlots(t *testing.T) {
	lt := newLeaseTable(DefaultLeaseConfig())
	changed := make([]bool, ring.SlotCount)
	for i := range 100 {
		k := fmt.Sprintf("drop:%d", i)
		slot := ring.KeySlot(k)
		lt.grant([]byte(k), slot, time.Second, false)
		changed[slot] = i%2 == 0
	}
	lt.dropSlots(changed)
	for i := range 100 {
		k := fmt.Sprintf("drop:%d", i)
		slot := ring.KeySlot(k)
		o, _, _ := lt.grant([]byte(k), slot, time.Second, false)
		if (o == leaseGranted) != changed[slot] {
			t.Fatalf("%s (slot moved %v): grant after dropSlots = %d", k, changed[slot], o)
		}
	}
}

func TestLeaseErrors(t *testing.T) {
	r := dialRaw(t, startServer(t, testConfig()))
	cases := [][2]string{
		{"LEASEGET k", "-ERR wrong number of arguments for 'leaseget' command\r\n"},
		{"LEASEGET k x", "-ERR value is not an integer or out of range\r\n"},
		{"LEASEGET k 0", "-ERR invalid expire time in 'leaseget' command\r\n"},
		{"LEASESET k 1", "-ERR wrong number of arguments for 'leaseset' command\r\n"},
		{"LEASESET k x v", "-ERR value is not an integer or out of range\r\n"},
		{"LEASESET k 1 v EX 10", "-ERR syntax error\r\n"},
		{"LEASESET k 1 v PX", "-ERR syntax error\r\n"},
		{"LEASESET k 1 v PX -5", "-ERR invalid expire time in 'leaseset' command\r\n"},
		{"LEASEDEL k x", "-ERR value is not an integer or out of range\r\n"},
	}
	for _, c := range cases {
		if got := r.do(strings.Fields(c[0])...); got != c[1] {
			t.Errorf("%s = %q, want %q", c[0], got, c[1])
		}
	}
}

// TestLeaseEarlyRefresh: LEASEGET ... EARLY on an existing key leases it
// for a refresh: one token at a time, LEASESET overwrites with it, and a
// write in between voids it.
func TestLeaseEarlyRefresh(t *testing.T) {
	r := dialRaw(t, startServer(t, testConfig()))
	r.do("SET", "k", "v1")
	got := r.do("LEASEGET", "k", "5000", "EARLY")
	parts := strings.Split(got, "\r\n")
	if len(parts) < 7 || parts[0] != "*4" || parts[3] != "v1" || parts[4] != ":-1" || parts[5] == ":0" {
		t.Fatalf("LEASEGET EARLY = %q, want VALUE v1 -1 token", got)
	}
	tok := parts[5][1:]
	if got := r.do("LEASEGET", "k", "5000", "EARLY"); !strings.HasSuffix(got, ":-1\r\n:0\r\n") {
		t.Fatalf("second LEASEGET EARLY = %q, want token 0", got)
	}
	if got := r.do("LEASEGET", "k", "5000", "LATE"); got != "-ERR syntax error\r\n" {
		t.Fatalf("LEASEGET with a bad option = %q", got)
	}
	if got := r.do("LEASESET", "k", tok, "v2", "PX", "60000"); got != "+OK\r\n" {
		t.Fatalf("LEASESET with the early token = %q, want OK (overwrite)", got)
	}
	if got := r.do("GET", "k"); got != "$2\r\nv2\r\n" {
		t.Fatalf("GET after the refresh = %q", got)
	}
	got = r.do("LEASEGET", "k", "5000", "EARLY")
	tok = strings.Split(got, "\r\n")[5][1:]
	r.do("SET", "k", "v3")
	if got := r.do("LEASESET", "k", tok, "stale"); got != "$-1\r\n" {
		t.Fatalf("LEASESET after a write = %q, want null", got)
	}
	if got := r.do("GET", "k"); got != "$2\r\nv3\r\n" {
		t.Fatalf("GET = %q, want v3", got)
	}
}
