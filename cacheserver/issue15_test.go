package cacheserver

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Scenarios of issue #15, compared exactly with redis-server (see
// runTrackScenario): BCAST sends one message per prefix with all the keys a
// command (or a whole EXEC) wrote; a flush leaves a WATCH of a missing key
// alone; QUIT of a redirect target is seen at once.
var issue15Scenarios = []trackScenario{
	{"bcast one message per prefix", []bool{true, true, false, false}, []trackStep{
		st(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b:", "PREFIX", "a:"),
		st(1, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"),
		st(3, "SUBSCRIBE", "__redis__:invalidate"),
		st(2, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:", "REDIRECT", "$3"),
		st(2, "MSET", "b:k1", "1", "a:k2", "2", "a:k1", "3", "c", "4"),
		st(0, "READ"), st(0, "READ"), st(1, "READ"), st(3, "READ"), st(0, "PING"), st(1, "PING"),
		st(2, "MULTI"), st(2, "INCRBY", "a:k1{t}", "100"), st(2, "INCRBY", "b:k2{t}", "100"), st(2, "INCRBY", "a:k3{t}", "100"), st(2, "INCRBY", "a:k1{t}", "100"),
		st(2, "EXEC"), st(0, "READ"), st(0, "READ"), st(1, "READ"), st(3, "READ"),
		st(1, "MSET", "a:k9", "1", "z", "2"), st(0, "READ"), st(1, "PING"), st(3, "READ"),
		st(1, "MSET", "z", "3"), st(0, "PING"), st(1, "PING"),
	}},
	{"watch and flush", []bool{false, false}, []trackStep{
		st(0, "WATCH", "missing"), st(1, "FLUSHALL"), st(0, "MULTI"), st(0, "PING"), st(0, "EXEC"),
		st(1, "SET", "x", "1"), st(0, "WATCH", "x", "missing"), st(1, "FLUSHDB"), st(0, "MULTI"), st(0, "PING"),
		st(0, "EXEC"), st(0, "WATCH", "missing"), st(1, "FLUSHALL"), st(0, "MULTI"), st(0, "EXEC"),
	}},
	{"redirect target quits", []bool{true, true, false}, []trackStep{
		st(1, "CLIENT", "TRACKING", "ON", "REDIRECT", "$0"), st(1, "GET", "k"),
		st(0, "QUIT"), st(2, "SET", "k", "1"), st(1, "READ"), st(1, "PING"),
	}},
}

func TestIssue15ScenariosAgainstRedis(t *testing.T) { diffScenarios(t, issue15Scenarios) }

// The reply to QUIT is sent after the push side is detached: a client
// redirecting to it gets tracking-redir-broken at the very next write,
// every time (it used to be lost in about 2% of runs).
func TestTrackingRedirectTargetQuitNeverLost(t *testing.T) {
	srv := startServer(t, testConfig())
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	for i := range 300 {
		target := dialRaw(t, srv)
		id := strings.TrimSpace(target.do("CLIENT", "ID")[1:])
		a.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "REDIRECT", id)
		key := "k" + strconv.Itoa(i)
		a.must("_\r\n", "GET", key)
		target.must("+OK\r\n", "QUIT")
		w.must("+OK\r\n", "SET", key, "1")
		if got := a.do("PING"); got != ">2\r\n$21\r\ntracking-redir-broken\r\n:"+id+"\r\n" {
			t.Fatalf("run %d: after the target's QUIT, got %q, want tracking-redir-broken", i, got)
		}
		a.next("+PONG\r\n")
		a.must("+OK\r\n", "CLIENT", "TRACKING", "OFF")
	}
}

// Lowering tracking-table-max-keys evicts the keys over it at once, each
// with its invalidation (Valkey's "evacuate enough keys" test: 250 keys,
// limit 1, exactly 249 invalidations).
func TestTrackingLowerMaxKeysEvictsAtOnce(t *testing.T) {
	srv := startServer(t, testConfig())
	a, admin := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	for i := range 250 {
		a.must("_\r\n", "GET", "key"+strconv.Itoa(i))
	}
	admin.must("+OK\r\n", "CONFIG", "SET", "tracking-table-max-keys", "1")
	if got := infoField(t, admin, "tracking_total_keys"); got != "1" {
		t.Fatalf("tracking_total_keys %s right after CONFIG SET, want 1", got)
	}
	for range 249 {
		if got := a.reply(); !strings.HasPrefix(got, ">2\r\n$10\r\ninvalidate\r\n*1\r\n") {
			t.Fatalf("frame %q, want an invalidation", got)
		}
	}
	a.quiet()
}

// FLUSHALL empties the tracking table even when no client tracks any more
// (keys of clients that turned tracking off stay in the table, as in Redis).
func TestFlushAllClearsTrackingTableUntracked(t *testing.T) {
	srv := startServer(t, testConfig())
	a, admin := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	a.must("*2\r\n_\r\n_\r\n", "MGET", "k1", "k2")
	a.must("+OK\r\n", "CLIENT", "TRACKING", "OFF")
	if got := infoField(t, admin, "tracking_total_keys"); got != "2" {
		t.Fatalf("tracking_total_keys %s, want 2", got)
	}
	admin.must("+OK\r\n", "FLUSHALL")
	if got := infoField(t, admin, "tracking_total_keys"); got != "0" {
		t.Fatalf("tracking_total_keys %s after FLUSHALL, want 0", got)
	}
}

// CLIENT LIST and CLIENT INFO name the last command with its subcommand,
// as Redis 7 does (cmd=client|list).
func TestClientListSubcommandName(t *testing.T) {
	srv := startServer(t, testConfig())
	a, b := dialRaw(t, srv), dialRaw(t, srv)
	if got := a.do("CLIENT", "INFO"); !strings.Contains(got, " cmd=client|info ") {
		t.Fatalf("CLIENT INFO = %q, want cmd=client|info", got)
	}
	b.must("+OK\r\n", "CONFIG", "SET", "timeout", "0")
	list := a.do("CLIENT", "LIST")
	if !strings.Contains(list, " cmd=client|list ") || !strings.Contains(list, " cmd=config|set ") {
		t.Fatalf("CLIENT LIST = %q, want cmd=client|list and cmd=config|set", list)
	}
	b.must("+PONG\r\n", "PING")
	if list := a.do("CLIENT", "LIST"); !strings.Contains(list, " cmd=ping ") {
		t.Fatalf("CLIENT LIST = %q, want cmd=ping", list)
	}
}

// FLUSHALL hands the freed memory back to the OS (debug.FreeOSMemory on
// the server's releaser goroutine): afterwards the heap pages the flushed
// values used are released, not kept idle by the runtime.
func TestFlushAllReturnsMemoryToOS(t *testing.T) {
	srv := startServer(t, testConfig())
	a := dialRaw(t, srv)
	val := strings.Repeat("v", 256<<10)
	for i := range 200 { // 50 MiB
		a.must("+OK\r\n", "SET", "big"+strconv.Itoa(i), val)
	}
	before := srv.release.runs.Load()
	a.must("+OK\r\n", "FLUSHALL")
	pollUntil(t, "a release after FLUSHALL", func() bool { return srv.release.runs.Load() > before })
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if idle := int64(ms.HeapIdle - ms.HeapReleased); idle > 16<<20 {
		t.Fatalf("%d MiB of free heap kept from the OS after FLUSHALL", idle>>20)
	}
}

// INFO commandstats counts calls, rejected calls (refused before running)
// and failed calls (ran, replied an error) per command, as Redis; INFO and
// INFO default leave the section out, INFO all and INFO commandstats have it.
func TestInfoCommandstats(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "SET", "s", "x")
	c.must("$1\r\nx\r\n", "GET", "s")
	c.must("-ERR wrong number of arguments for 'get' command\r\n", "GET")
	c.must("-ERR value is not an integer or out of range\r\n", "INCR", "s")
	c.must("+OK\r\n", "MULTI")
	c.must("-ERR wrong number of arguments for 'get' command\r\n", "GET", "a", "b")
	c.must("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
	stats := c.do("INFO", "commandSTATS")
	for _, want := range []string{
		"cmdstat_get:calls=1,usec=0,usec_per_call=0.00,rejected_calls=2,failed_calls=0\r\n",
		"cmdstat_incr:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1\r\n",
		"cmdstat_set:calls=1,",
	} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, stats)
		}
	}
	for _, sec := range []string{"", "default", "all", "everything"} {
		args := []string{"INFO"}
		if sec != "" {
			args = append(args, sec)
		}
		got := c.do(args...)
		if has := strings.Contains(got, "cmdstat_get:"); has != (sec == "all" || sec == "everything") {
			t.Errorf("INFO %s: commandstats present = %v", sec, has)
		}
		if !strings.Contains(got, "master_repl_offset:0\r\n") || !strings.Contains(got, "redis_git_sha1:") {
			t.Errorf("INFO %s lacks master_repl_offset or redis_git_sha1", sec)
		}
	}
}

// RENAME, RENAMENX and COPY need both keys in one slot (they run under its
// lock); Redis Cluster refuses the same way.
func TestRenameCopyCrossSlot(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "SET", "a", "1")
	for _, cmd := range [][]string{{"RENAME", "a", "b"}, {"RENAMENX", "a", "b"}, {"COPY", "a", "b"}} {
		c.must("-CROSSSLOT Keys in request don't hash to the same slot\r\n", cmd...)
	}
	c.must("$1\r\n1\r\n", "GET", "a")
}
