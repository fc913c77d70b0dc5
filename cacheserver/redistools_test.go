package cacheserver

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

// redisCLI runs the real redis-cli against srv with stdin and returns its
// standard output.
func redisCLI(t *testing.T, srv *Server, stdin string, args ...string) string {
	t.Helper()
	bin := redistest.Binary(t, "redis-cli")
	port := strconv.Itoa(srv.port())
	cmd := exec.Command(bin, append([]string{"-h", "127.0.0.1", "-p", port}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\nstdout: %s\nstderr: %s", args, err, out, stderr.String())
	}
	return string(out)
}

func TestRedisCLIArgs(t *testing.T) {
	srv := startServer(t, testConfig())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG\n"},
		{[]string{"SET", "greeting", "hello world"}, "OK\n"},
		{[]string{"GET", "greeting"}, "hello world\n"},
		{[]string{"INCR", "n"}, "1\n"},
		{[]string{"GET", "nosuch"}, "\n"},
		{[]string{"FOO", "a", "b"}, "ERR unknown command 'FOO', with args beginning with: 'a' 'b' \n"},
		{[]string{"GET"}, "ERR wrong number of arguments for 'get' command\n"},
		{[]string{"SELECT", "1"}, "ERR DB index is out of range\n"},
		{[]string{"CONFIG", "GET", "appendonly"}, "appendonly\nno\n"},
		{[]string{"-3", "HELLO", "3"}, "server redis\nversion 7.0.15\nproto 3\nid "},
		{[]string{"-3", "GET", "greeting"}, "hello world\n"},
		{[]string{"-3", "CONFIG", "GET", "save"}, "save \n"},
	}
	for _, tc := range cases {
		got := redisCLI(t, srv, "", tc.args...)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("redis-cli %q = %q, want prefix %q", tc.args, got, tc.want)
		}
	}
}

func TestRedisCLIPipeScanAndStdin(t *testing.T) {
	srv := startServer(t, testConfig())
	var in strings.Builder
	for i := range 100000 {
		k, v := "key:"+strconv.Itoa(i), "value-"+strconv.Itoa(i)
		fmt.Fprintf(&in, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
	}
	out := redisCLI(t, srv, in.String(), "--pipe")
	if !strings.Contains(out, "errors: 0, replies: 100000") {
		t.Fatalf("--pipe: %s", out)
	}
	if got := redisCLI(t, srv, "", "DBSIZE"); got != "100000\n" {
		t.Fatalf("DBSIZE = %q", got)
	}
	if got := redisCLI(t, srv, "", "GET", "key:99999"); got != "value-99999\n" {
		t.Fatalf("GET = %q", got)
	}
	scanned := strings.Fields(redisCLI(t, srv, "", "--scan", "--pattern", "key:1234*"))
	if len(scanned) != 11 {
		t.Fatalf("--scan key:1234* found %d keys: %v", len(scanned), scanned)
	}
	if got := redisCLI(t, srv, "piped\nvalue", "-x", "SET", "fromstdin"); got != "OK\n" {
		t.Fatalf("-x SET = %q", got)
	}
	if got := redisCLI(t, srv, "", "GET", "fromstdin"); got != "piped\nvalue\n" {
		t.Fatalf("GET after -x = %q", got)
	}
	session := "SET counter 10\nINCRBY counter 5\nGET counter\nMULTI\nINCR counter\nEXEC\nCLIENT SETNAME cli\nCLIENT GETNAME\n"
	want := "OK\n15\n15\nOK\nQUEUED\n16\nOK\ncli\n"
	if got := redisCLI(t, srv, session); got != want {
		t.Fatalf("stdin session:\n%q\nwant\n%q", got, want)
	}
}

func TestRedisBenchmark(t *testing.T) {
	srv := startServer(t, testConfig())
	bin := redistest.Binary(t, "redis-benchmark")
	for _, p := range []string{"1", "16"} {
		cmd := exec.Command(bin, "-h", "127.0.0.1", "-p", strconv.Itoa(srv.port()),
			"-t", "ping,set,get,incr,mset", "-n", "5000", "-P", p, "-q") // protocol check, not a figure
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-benchmark -P %s: %v\n%s", p, err, out)
		}
		text := string(out)
		if strings.Contains(strings.ToLower(text), "error") {
			t.Fatalf("redis-benchmark -P %s reported errors:\n%s", p, text)
		}
		for _, test := range []string{"PING_INLINE:", "PING_MBULK:", "SET:", "GET:", "INCR:", "MSET (10 keys):"} {
			if !strings.Contains(text, test) || !strings.Contains(text, "requests per second") {
				t.Fatalf("redis-benchmark -P %s: no result for %s:\n%s", p, test, text)
			}
		}
	}
}

// redis-cli --hotkeys (OBJECT FREQ, under the default allkeys-lfu) and
// --memkeys (MEMORY USAGE) work and name the right keys.
func TestRedisCLIHotkeysMemkeys(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "SET", "cold", "v")
	c.must("+OK\r\n", "SET", "big", strings.Repeat("x", 5000))
	c.must("+OK\r\n", "SET", "hot", "v")
	for range 200 {
		c.must("$1\r\nv\r\n", "GET", "hot")
	}
	out := redisCLI(t, srv, "", "--hotkeys") // the hottest key is listed first
	if m := regexp.MustCompile(`hot key found with counter: \d+\tkeyname: "(\w+)"`).FindStringSubmatch(out); !strings.Contains(out, "Sampled 3 keys") || m == nil || m[1] != "hot" {
		t.Fatalf("--hotkeys:\n%s", out)
	}
	if out := redisCLI(t, srv, "", "--memkeys"); !strings.Contains(out, `Biggest string found '"big"'`) {
		t.Fatalf("--memkeys:\n%s", out)
	}
}
