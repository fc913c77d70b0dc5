package cacheserver

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

// Client eviction (maxmemory-clients) as redis-server 7.0 does it, each
// scenario run against both servers.
func TestClientEvictionMatchesRedis(t *testing.T) {
	rs := redistest.StartServer(t)
	srv := startServer(t, testConfig())
	for _, tc := range []struct{ name, addr string }{{"redis", rs.Addr}, {"ringcache", srv.Addr().String()}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("config", func(t *testing.T) { checkMaxmemoryClientsConfig(t, tc.addr) })
			t.Run("subscriber", func(t *testing.T) { checkSubscriberEviction(t, tc.addr) })
			t.Run("query buffer", func(t *testing.T) { checkQueryBufferEviction(t, tc.addr) })
		})
	}
}

// checkMaxmemoryClientsConfig: CONFIG SET/GET forms and errors.
func checkMaxmemoryClientsConfig(t *testing.T, addr string) {
	c := dialAddr(t, addr)
	const pre = "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - "
	for _, tc := range []struct{ set, reply, get string }{
		{"10mb", "+OK\r\n", "10485760"},
		{"1k", "+OK\r\n", "1000"},
		{"10%", "+OK\r\n", "10%"},
		{"100%", "+OK\r\n", "100%"},
		{"101%", pre + "percentage argument must be less or equal to 100\r\n", "100%"},
		{"-1", pre + "argument must be a memory or percent value\r\n", "100%"},
		{"abc", pre + "argument must be a memory or percent value\r\n", "100%"},
		{"1.5%", pre + "argument must be a memory or percent value\r\n", "100%"},
		{"-10%", pre + "argument must be a memory or percent value\r\n", "100%"},
		{"0%", "+OK\r\n", "0"},
		{"", "+OK\r\n", "0"},
		{"0", "+OK\r\n", "0"},
	} {
		if got := c.do("CONFIG", "SET", "maxmemory-clients", tc.set); got != tc.reply {
			t.Errorf("CONFIG SET maxmemory-clients %q = %q, want %q", tc.set, got, tc.reply)
		}
		want := "*2\r\n$17\r\nmaxmemory-clients\r\n$" + strconv.Itoa(len(tc.get)) + "\r\n" + tc.get + "\r\n"
		if got := c.do("CONFIG", "GET", "maxmemory-clients"); got != want {
			t.Errorf("after SET %q: CONFIG GET = %q, want %q", tc.set, got, want)
		}
	}
	for _, tc := range []struct{ arg, reply string }{{"on", "+OK\r\n"}, {"maybe", "-ERR syntax error\r\n"}} {
		if got := c.do("CLIENT", "NO-EVICT", tc.arg); got != tc.reply {
			t.Errorf("CLIENT NO-EVICT %s = %q, want %q", tc.arg, got, tc.reply)
		}
	}
	if info := c.do("CLIENT", "INFO"); !strings.Contains(info, " flags=e ") {
		t.Errorf("CLIENT INFO of a NO-EVICT client: %q, want flags=e", info)
	}
	if n, _ := strconv.ParseInt(infoField(t, c, "mem_clients_normal"), 10, 64); n <= 0 {
		t.Errorf("mem_clients_normal = %d, want > 0", n)
	}
}

// checkSubscriberEviction: a subscriber that does not read grows its output
// buffer past maxmemory-clients; it is evicted (evicted_clients + 1) unless
// CLIENT NO-EVICT on.
func checkSubscriberEviction(t *testing.T, addr string) {
	const limit = 1 << 20
	ctl, pub := dialAddr(t, addr), dialAddr(t, addr)
	for _, c := range []*rawClient{ctl, pub} {
		c.do("CLIENT", "NO-EVICT", "on")
	}
	ctl.do("CONFIG", "SET", "maxmemory-clients", "1mb")
	t.Cleanup(func() { ctl.do("CONFIG", "SET", "maxmemory-clients", "0") })
	payload := strings.Repeat("x", 64<<10)
	for _, noEvict := range []bool{true, false} {
		evicted := infoField(t, ctl, "evicted_clients")
		name := "sub-evict"
		sub := dialAddr(t, addr)
		if noEvict {
			name = "sub-noevict"
			sub.do("CLIENT", "NO-EVICT", "on")
		}
		sub.do("CLIENT", "SETNAME", name)
		sub.do("SUBSCRIBE", "ch")
		deadline := time.Now().Add(60 * time.Second)
		for {
			mem, listed := clientTotMem(t, ctl, name)
			if !listed {
				if noEvict {
					t.Fatalf("NO-EVICT subscriber was closed")
				}
				break
			}
			if noEvict && mem > 2*limit {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("subscriber (no-evict %v) at tot-mem=%d after 60 s", noEvict, mem)
			}
			pub.do("PUBLISH", "ch", payload)
		}
		want, _ := strconv.Atoi(evicted)
		if !noEvict {
			want++
		}
		if got := infoField(t, ctl, "evicted_clients"); got != strconv.Itoa(want) {
			t.Errorf("no-evict %v: evicted_clients = %s, want %d", noEvict, got, want)
		}
		sub.nc.Close()
		pollUntil(t, "closed subscriber gone", func() bool { _, ok := clientTotMem(t, ctl, name); return !ok })
	}
}

// checkQueryBufferEviction: a client that sent part of a command bigger
// than maxmemory-clients is evicted while its query buffer fills.
func checkQueryBufferEviction(t *testing.T, addr string) {
	ctl := dialAddr(t, addr)
	ctl.do("CLIENT", "NO-EVICT", "on")
	ctl.do("CONFIG", "SET", "maxmemory-clients", "1mb")
	t.Cleanup(func() { ctl.do("CONFIG", "SET", "maxmemory-clients", "0") })
	c := dialAddr(t, addr)
	c.do("CLIENT", "SETNAME", "big-qbuf")
	n := 2 << 20
	_, _ = c.nc.Write([]byte("*1\r\n$" + strconv.Itoa(n) + "\r\n" + strings.Repeat("v", n-1)))
	pollUntil(t, "client with a 2 MB query buffer evicted", func() bool {
		_, ok := clientTotMem(t, ctl, "big-qbuf")
		return !ok
	})
}

var totMemRe = regexp.MustCompile(` tot-mem=(\d+) `)

// clientTotMem returns the tot-mem of the client named name in CLIENT LIST
// and whether it is listed.
func clientTotMem(t *testing.T, ctl *rawClient, name string) (int64, bool) {
	t.Helper()
	for _, line := range strings.Split(ctl.do("CLIENT", "LIST"), "\n") {
		if strings.Contains(line, " name="+name+" ") {
			m := totMemRe.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("no tot-mem in %q", line)
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			return n, true
		}
	}
	return 0, false
}
