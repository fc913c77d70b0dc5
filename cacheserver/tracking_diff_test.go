package cacheserver

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/resp"
)

// Multi-connection differential test: each scenario drives several
// connections against a real redis-server 7.0 and against cacheserver and
// compares the transcripts (every reply and push, per connection) exactly,
// with client ids replaced by <idN>. Single-connection option checks and
// reply shapes are in testdata/diff/tracking.txt.

// trackStep is one scenario step on connection conn: a command whose reply
// is read, or "SEND" (the rest of args sent, nothing read), "READ" (read
// one more frame, a push), "READ2" (two frames,
// compared sorted), or "CLOSE".
type trackStep struct {
	conn int
	args []string
}

func st(conn int, args ...string) trackStep { return trackStep{conn, args} }

// trackScenario is a named multi-connection scenario.
type trackScenario struct {
	name  string
	resp3 []bool // per connection
	steps []trackStep
}

var trackingScenarios = []trackScenario{
	{"default resp3", []bool{true, false}, []trackStep{
		st(0, "CLIENT", "TRACKING", "ON"), st(0, "MGET", "a", "b", "c"), st(0, "GET", "a"),
		st(1, "MSET", "a", "1", "b", "2"), st(0, "READ"), st(0, "READ"), st(0, "PING"),
		st(1, "SET", "a", "again"), st(0, "PING"), st(1, "INCR", "c"), st(0, "READ"),
		st(0, "GET", "a"), st(0, "SET", "a", "own"), st(0, "READ"), st(0, "CLIENT", "TRACKINGINFO"),
	}},
	{"noloop and optin", []bool{true, true, false}, []trackStep{
		st(0, "CLIENT", "TRACKING", "ON", "NOLOOP"), st(1, "CLIENT", "TRACKING", "ON", "OPTIN"),
		st(0, "GET", "k"), st(1, "GET", "k"), st(0, "SET", "k", "1"), st(0, "PING"), st(1, "PING"),
		st(1, "CLIENT", "CACHING", "YES"), st(1, "MULTI"), st(1, "GET", "k"), st(1, "EXEC"),
		st(2, "APPEND", "k", "2"), st(1, "READ"), st(0, "PING"),
	}},
	{"bcast prefixes", []bool{true, true, false}, []trackStep{
		st(0, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "u:", "PREFIX", "s"),
		st(1, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"),
		st(2, "SET", "u:1", "x"), st(0, "READ"), st(1, "READ"),
		st(2, "SET", "other", "x"), st(0, "PING"), st(1, "READ"),
		st(1, "SET", "sess", "x"), st(0, "READ"), st(1, "PING"),
		st(0, "CLIENT", "TRACKINGINFO"), st(1, "CLIENT", "TRACKINGINFO"),
	}},
	{"redirect resp2 and flush", []bool{false, false, false, true}, []trackStep{
		st(0, "SUBSCRIBE", "__redis__:invalidate"),
		st(1, "CLIENT", "TRACKING", "ON", "REDIRECT", "$0"), st(1, "CLIENT", "GETREDIR"),
		st(1, "MGET", "k1", "k2"), st(2, "MSET", "k1", "1", "k2", "2"), st(0, "READ"), st(0, "READ"),
		st(3, "CLIENT", "TRACKING", "ON"), st(2, "FLUSHALL"), st(0, "READ"), st(3, "READ"),
		st(0, "PING"), st(1, "CLIENT", "TRACKINGINFO"),
	}},
	{"redirect broken", []bool{true, true, false}, []trackStep{
		st(1, "CLIENT", "TRACKING", "ON", "REDIRECT", "$0"), st(1, "GET", "k"),
		st(2, "SET", "k", "1"), st(0, "READ"), st(1, "GET", "k"), st(0, "CLOSE"),
		st(2, "SET", "k", "2"), st(1, "READ"), st(1, "CLIENT", "TRACKINGINFO"), st(1, "GET", "k"),
		st(2, "SET", "k", "3"), st(1, "PING"), st(1, "CLIENT", "TRACKING", "ON", "REDIRECT", "$0"),
	}},
	{"pubsub", []bool{false, true, false}, []trackStep{
		st(0, "SUBSCRIBE", "news", "sport"), st(1, "SUBSCRIBE", "news"),
		st(2, "PUBLISH", "news", "hello"), st(0, "READ"), st(1, "READ"),
		st(2, "PUBLISH", "sport", ""), st(0, "READ"), st(2, "PUBLISH", "none", "x"),
		st(1, "UNSUBSCRIBE", "news"), st(2, "PUBLISH", "news", "bye"), st(0, "READ"), st(1, "PING"),
		st(0, "UNSUBSCRIBE", "sport"), st(0, "SET", "x", "1"), st(0, "UNSUBSCRIBE", "news"), st(0, "SET", "x", "1"),
	}},
	{"lists", []bool{true, false}, []trackStep{
		st(0, "CLIENT", "TRACKING", "ON"), st(0, "LRANGE", "{l}a", "0", "-1"),
		st(1, "RPUSH", "{l}a", "1", "2"), st(0, "READ"), st(0, "LINDEX", "{l}a", "0"),
		st(1, "LSET", "{l}a", "0", "x"), st(0, "READ"), st(0, "LPOS", "{l}a", "x"),
		st(1, "LMPOP", "2", "{l}b", "{l}a", "LEFT"), st(0, "READ"), st(0, "LRANGE", "{l}a", "0", "-1"),
		st(1, "LMOVE", "{l}a", "{l}b", "LEFT", "LEFT"), st(0, "READ"), st(0, "PING"),
	}},
}

func TestTrackingDiffAgainstRedis(t *testing.T) { diffScenarios(t, trackingScenarios) }

// diffScenarios runs each scenario against redis-server and cacheserver and
// fails at the first step whose transcripts differ.
func diffScenarios(t *testing.T, scenarios []trackScenario) {
	rs := redistest.StartServer(t)
	srv := startServer(t, testConfig())
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := runTrackScenario(t, rs.Addr, sc.resp3, sc.steps)
			got := runTrackScenario(t, srv.Addr().String(), sc.resp3, sc.steps)
			for i := range max(len(want), len(got)) {
				w, g := at(want, i), at(got, i)
				if w != g {
					t.Fatalf("step %d differs:\n  redis:       %q\n  cacheserver: %q", i, w, g)
				}
			}
		})
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<missing>"
}

// runTrackScenario runs steps on fresh connections to addr and returns the
// transcript, one entry per frame read.
func runTrackScenario(t *testing.T, addr string, resp3 []bool, steps []trackStep) []string {
	t.Helper()
	admin := dialAddr(t, addr)
	admin.must("+OK\r\n", "FLUSHALL")
	conns := make([]*rawClient, len(resp3))
	ids := make([]string, len(resp3))
	for i, r3 := range resp3 {
		conns[i] = dialAddr(t, addr)
		ids[i] = strings.TrimSpace(conns[i].do("CLIENT", "ID")[1:])
		if r3 {
			conns[i].do("HELLO", "3")
		}
	}
	// norm replaces client ids in CLIENT replies and tracking-redir-broken
	// pushes (elsewhere a small integer is a count, not an id).
	norm := func(s string, client bool) string {
		if !client && !strings.Contains(s, "redir") {
			return s
		}
		for i, id := range ids {
			s = strings.ReplaceAll(s, ":"+id+"\r\n", fmt.Sprintf(":<id%d>\r\n", i))
		}
		return s
	}
	var out []string
	defer func() {
		if t.Failed() {
			t.Logf("%s transcript so far:\n%s", addr, strings.Join(out, "\n"))
		}
	}()
	for _, s := range steps {
		c := conns[s.conn]
		switch s.args[0] {
		case "READ":
			out = append(out, fmt.Sprintf("%d< %s", s.conn, norm(c.reply(), false)))
		case "SEND": // a command whose reply is silenced (CLIENT REPLY OFF|SKIP): nothing is read
			c.send(string(resp.AppendCommandStrings(nil, s.args[1:]...)))
		case "READ2": // two frames whose order Redis does not define (pmessages of two patterns)
			two := []string{c.reply(), c.reply()}
			sort.Strings(two)
			out = append(out, fmt.Sprintf("%d< %s", s.conn, two))
		case "CLOSE":
			c.nc.Close()
			pollUntil(t, "connection closed", func() bool {
				return admin.do("CLIENT", "LIST", "ID", ids[s.conn]) == "$0\r\n\r\n"
			})
		default:
			args := make([]string, len(s.args))
			for i, a := range s.args {
				if len(a) == 2 && a[0] == '$' {
					a = ids[a[1]-'0']
				}
				args[i] = a
			}
			r := norm(c.do(args...), strings.EqualFold(args[0], "CLIENT"))
			out = append(out, fmt.Sprintf("%d> %v: %s", s.conn, s.args, r))
		}
	}
	for _, c := range conns {
		c.nc.Close()
	}
	return out
}
