package cacheserver

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inv is the RESP3 push invalidating key.
func inv(key string) string {
	return fmt.Sprintf(">2\r\n$10\r\ninvalidate\r\n*1\r\n$%d\r\n%s\r\n", len(key), key)
}

// invMsg is the RESP2 message on __redis__:invalidate for key ("" = null).
func invMsg(key string) string {
	head := "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
	if key == "" {
		return head + "$-1\r\n"
	}
	return head + fmt.Sprintf("*1\r\n$%d\r\n%s\r\n", len(key), key)
}

const invNull = ">2\r\n$10\r\ninvalidate\r\n_\r\n"

// dialResp3 dials a raw client and switches it to RESP3.
func dialResp3(t *testing.T, srv *Server) *rawClient {
	t.Helper()
	c := dialRaw(t, srv)
	if got := c.do("HELLO", "3"); !strings.HasPrefix(got, "%7") {
		t.Fatalf("HELLO 3: %q", got)
	}
	return c
}

// must sends a command and fails unless the reply is want.
func (r *rawClient) must(want string, args ...string) {
	r.t.Helper()
	if got := r.do(args...); got != want {
		r.t.Fatalf("%v: got %q, want %q", args, got, want)
	}
}

// next reads the next frame and fails unless it is want.
func (r *rawClient) next(want string) {
	r.t.Helper()
	if got := r.reply(); got != want {
		r.t.Fatalf("next frame %q, want %q", got, want)
	}
}

// quiet asserts no push is pending: frames queued before a command are
// written ahead of its reply, so PING's PONG must come next.
func (r *rawClient) quiet() { r.t.Helper(); r.must("+PONG\r\n", "PING") }

func TestTrackingDefaultMode(t *testing.T) {
	srv := startServer(t, testConfig())
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	w.must("+OK\r\n", "MSET", "k1", "a", "k2", "b")
	a.must("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "MGET", "k1", "k2")
	a.must("$1\r\nb\r\n", "GET", "k2")
	w.must("+OK\r\n", "SET", "k1", "x")
	a.next(inv("k1"))
	a.quiet()
	w.must("+OK\r\n", "SET", "k1", "y") // k1 was forgotten: read again to track it
	a.quiet()
	w.must(":1\r\n", "DEL", "k2")
	a.next(inv("k2"))
	w.must("+OK\r\n", "SET", "other", "1") // never read
	a.quiet()
	a.must("$1\r\ny\r\n", "GET", "k1")
	a.must("+OK\r\n", "SET", "k1", "z") // own write, no NOLOOP: notified after the reply
	a.next(inv("k1"))
	a.must("+OK\r\n", "CLIENT", "TRACKING", "OFF")
	a.must("$1\r\nz\r\n", "GET", "k1")
	w.must("+OK\r\n", "SET", "k1", "w")
	a.quiet()
}

func TestTrackingBcastPrefix(t *testing.T) {
	srv := startServer(t, testConfig())
	a, all, w := dialResp3(t, srv), dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "ses")
	all.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST")
	w.must("+OK\r\n", "SET", "user:1", "v")
	a.next(inv("user:1"))
	all.next(inv("user:1"))
	w.must("+OK\r\n", "SET", "user:1", "v2") // BCAST needs no read
	a.next(inv("user:1"))
	all.next(inv("user:1"))
	w.must("+OK\r\n", "SET", "item:1", "v")
	a.quiet()
	all.next(inv("item:1"))
	w.must("+OK\r\n", "MSET", "session", "1", "x", "2")
	a.next(inv("session"))
	all.next(">2\r\n$10\r\ninvalidate\r\n*2\r\n$7\r\nsession\r\n$1\r\nx\r\n") // one message per prefix
	a.quiet()
	all.quiet()
}

func TestTrackingOptInOptOut(t *testing.T) {
	srv := startServer(t, testConfig())
	in, out, w := dialResp3(t, srv), dialResp3(t, srv), dialRaw(t, srv)
	in.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "OPTIN")
	out.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "OPTOUT")
	in.must("_\r\n", "GET", "a")
	out.must("+OK\r\n", "CLIENT", "CACHING", "NO")
	out.must("_\r\n", "GET", "a")
	w.must("+OK\r\n", "SET", "a", "1")
	in.quiet()
	out.quiet()
	in.must("+OK\r\n", "CLIENT", "CACHING", "YES")
	in.must("$1\r\n1\r\n", "GET", "a")
	out.must("$1\r\n1\r\n", "GET", "a")
	in.must("_\r\n", "GET", "b") // CACHING YES covered only the previous command
	w.must("+OK\r\n", "MSET", "a", "2", "b", "2")
	in.next(inv("a"))
	out.next(inv("a"))
	in.quiet()
	// CLIENT CACHING YES before MULTI covers the whole transaction.
	in.must("+OK\r\n", "CLIENT", "CACHING", "YES")
	in.must("+OK\r\n", "MULTI")
	in.must("+QUEUED\r\n", "GET", "b")
	in.must("*1\r\n$1\r\n2\r\n", "EXEC")
	w.must("+OK\r\n", "SET", "b", "3")
	in.next(inv("b"))
}

func TestTrackingNoLoop(t *testing.T) {
	srv := startServer(t, testConfig())
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "NOLOOP")
	a.must("_\r\n", "GET", "k")
	a.must("+OK\r\n", "SET", "k", "mine")
	a.quiet()
	a.must("$4\r\nmine\r\n", "GET", "k")
	w.must("+OK\r\n", "SET", "k", "theirs")
	a.next(inv("k"))
	b := dialResp3(t, srv)
	b.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
	b.must("+OK\r\n", "SET", "k", "b")
	b.quiet()
	w.must("+OK\r\n", "SET", "k", "w")
	b.next(inv("k"))
}

func TestTrackingRedirectRESP2(t *testing.T) {
	srv := startServer(t, testConfig())
	sub, a, w := dialRaw(t, srv), dialRaw(t, srv), dialRaw(t, srv)
	id := strings.TrimSpace(sub.do("CLIENT", "ID")[1:])
	sub.must("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n", "SUBSCRIBE", "__redis__:invalidate")
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "REDIRECT", id)
	a.must(":"+id+"\r\n", "CLIENT", "GETREDIR")
	a.must("*2\r\n$-1\r\n$-1\r\n", "MGET", "k1", "k2")
	w.must("+OK\r\n", "MSET", "k1", "1", "k2", "2")
	sub.next(invMsg("k1"))
	sub.next(invMsg("k2"))
	w.must("+OK\r\n", "FLUSHALL")
	sub.next(invMsg(""))
	sub.must("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
}

func TestTrackingFlushAllNull(t *testing.T) {
	srv := startServer(t, testConfig())
	a, b, w := dialResp3(t, srv), dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	b.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
	a.must("_\r\n", "GET", "k")
	w.must("+OK\r\n", "FLUSHDB")
	a.next(invNull)
	b.next(invNull)
	w.must("+OK\r\n", "SET", "k", "1") // the table was emptied
	a.quiet()
	b.next(inv("k"))
}

func TestTrackingRedirectBroken(t *testing.T) {
	srv := startServer(t, testConfig())
	target, a, w := dialResp3(t, srv), dialResp3(t, srv), dialRaw(t, srv)
	id := strings.TrimSpace(target.do("CLIENT", "ID")[1:])
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "REDIRECT", id)
	a.must("_\r\n", "GET", "k")
	w.must("+OK\r\n", "SET", "k", "1")
	target.next(inv("k")) // a RESP3 target needs no subscription
	a.quiet()
	a.must("$1\r\n1\r\n", "GET", "k")
	target.nc.Close()
	pollUntil(t, "target gone", func() bool { return len(srv.connList()) == 2 })
	w.must("+OK\r\n", "SET", "k", "2")
	a.next(">2\r\n$21\r\ntracking-redir-broken\r\n:" + id + "\r\n")
	a.must("%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect\r\n:"+id+
		"\r\n$8\r\nprefixes\r\n*0\r\n", "CLIENT", "TRACKINGINFO")
	a.must("$1\r\n2\r\n", "GET", "k")
	w.must("+OK\r\n", "SET", "k", "3") // reported at every invalidation, as Redis
	a.next(">2\r\n$21\r\ntracking-redir-broken\r\n:" + id + "\r\n")
	a.quiet()
}

func TestTrackingTableOverflow(t *testing.T) {
	srv := startServer(t, testConfig())
	a, admin := dialResp3(t, srv), dialRaw(t, srv)
	admin.must("*2\r\n$23\r\ntracking-table-max-keys\r\n$7\r\n1000000\r\n", "CONFIG", "GET", "tracking-table-max-keys")
	admin.must("+OK\r\n", "CONFIG", "SET", "tracking-table-max-keys", "3")
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	a.must("*3\r\n_\r\n_\r\n_\r\n", "MGET", "k1", "k2", "k3")
	a.quiet()
	a.must("_\r\n", "GET", "k4") // the 4th key evicts one of the others, invalidating it
	evicted := a.reply()
	if !strings.HasPrefix(evicted, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk") || strings.HasSuffix(evicted, "k4\r\n") {
		t.Fatalf("eviction frame %q", evicted)
	}
	if got := infoField(t, admin, "tracking_total_keys"); got != "3" {
		t.Fatalf("tracking_total_keys %s, want 3", got)
	}
	if got := infoField(t, admin, "tracking_clients"); got != "1" {
		t.Fatalf("tracking_clients %s", got)
	}
	admin.must("+OK\r\n", "CONFIG", "SET", "tracking-table-max-keys", "0")
	a.must("*3\r\n_\r\n_\r\n_\r\n", "MGET", "x1", "x2", "x3")
	a.quiet()
	if got := infoField(t, admin, "tracking_total_keys"); got != "6" {
		t.Fatalf("unlimited table: tracking_total_keys %s, want 6", got)
	}
}

// infoField returns one INFO field's value.
func infoField(t *testing.T, c *rawClient, name string) string {
	t.Helper()
	for _, line := range strings.Split(c.do("INFO"), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no %s", name)
	return ""
}

func TestTrackingExpiryInvalidates(t *testing.T) {
	cfg := testConfig()
	cfg.Store.ActiveExpiry = 10 * time.Millisecond
	srv := startServer(t, cfg)
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	w.must("+OK\r\n", "SET", "k", "v", "PX", "30")
	a.must("$1\r\nv\r\n", "GET", "k")
	a.next(inv("k")) // the active expiry cycle removes it, nobody writes
	if got := infoField(t, w, "expired_keys"); got != "1" {
		t.Fatalf("expired_keys %s", got)
	}
}

func TestTrackingEvictionInvalidates(t *testing.T) {
	srv := startServer(t, testConfig())
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	w.must("+OK\r\n", "SET", "victim", "v")
	a.must("$1\r\nv\r\n", "GET", "victim")
	w.must("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	w.must("+OK\r\n", "CONFIG", "SET", "maxmemory", "4mb")
	val := strings.Repeat("x", 4096)
	for i := 0; w.do("EXISTS", "victim") == ":1\r\n"; i++ {
		if i > 100000 {
			t.Fatal("victim never evicted")
		}
		w.must("+OK\r\n", "SET", "fill"+strconv.Itoa(i), val)
	}
	a.next(inv("victim"))
}
