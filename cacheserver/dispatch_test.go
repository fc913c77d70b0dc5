package cacheserver

import (
	"io"
	"net"
	"strings"
	"testing"
)

// newTestConn returns a conn of srv on one end of a pipe, not served by a
// goroutine: tests call execute directly and read c.w's buffer.
func newTestConn(t testing.TB, srv *Server) *conn {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return newConn(srv, a)
}

// run executes one command and returns the reply bytes.
func (c *conn) run(args ...string) string {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c.execute(bs)
	out := string(c.w.Bytes())
	c.w.Reset(io.Discard)
	return out
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	srv, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestDispatchZeroAllocs: GET and SET through dispatch (lookup, arity,
// WATCH check, handler, reply) allocate nothing in steady state.
func TestDispatchZeroAllocs(t *testing.T) {
	c := newTestConn(t, newTestServer(t, testConfig()))
	for _, cmd := range [][][]byte{
		{[]byte("SET"), []byte("key:1"), []byte("some value")},
		{[]byte("GET"), []byte("key:1")},
		{[]byte("get"), []byte("missing")},
		{[]byte("INCR"), []byte("counter")},
		{[]byte("PING")},
	} {
		c.execute(cmd)
		n := testing.AllocsPerRun(1000, func() {
			c.execute(cmd)
			c.w.Reset(io.Discard)
		})
		if n != 0 {
			t.Errorf("%s: %.1f allocs per command, want 0", cmd[0], n)
		}
	}
}

func BenchmarkDispatch(b *testing.B) {
	benchSetGet(b, newTestConn(b, newTestServer(b, testConfig())))
}

// benchSetGet runs SET and GET on c, b.N times.
func benchSetGet(b *testing.B, c *conn) {
	set := [][]byte{[]byte("SET"), []byte("key:1"), []byte("some value")}
	get := [][]byte{[]byte("GET"), []byte("key:1")}
	b.ReportAllocs()
	for b.Loop() {
		c.execute(set)
		c.execute(get)
		if c.w.Buffered() > 1<<16 {
			c.w.Reset(io.Discard)
		}
	}
}

func TestUnknownCommandText(t *testing.T) {
	c := newTestConn(t, newTestServer(t, testConfig()))
	long := strings.Repeat("x", 200)
	cases := map[string][]string{
		"-ERR unknown command 'foo', with args beginning with: \r\n":                                     {"foo"},
		"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n":                             {"FOO", "a", "b"},
		"-ERR unknown command 'x  y', with args beginning with: 'a b' \r\n":                              {"x\r\ny", "a\nb"},
		"-ERR unknown command '" + long[:128] + "', with args beginning with: '" + long[:128] + "' \r\n": {long, long, "more"},
	}
	for want, args := range cases {
		if got := c.run(args...); got != want {
			t.Errorf("%.20q: got %q\nwant %q", args, got, want)
		}
	}
}

func TestConnCommandsExact(t *testing.T) {
	c := newTestConn(t, newTestServer(t, testConfig()))
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"PING", "hi"}, "$2\r\nhi\r\n"},
		{[]string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{[]string{"ECHO", "x"}, "$1\r\nx\r\n"},
		{[]string{"SELECT", "0"}, "+OK\r\n"},
		{[]string{"SELECT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SELECT", "3"}, "-ERR DB index is out of range\r\n"},
		{[]string{"AUTH", "pw"}, "-" + noPassSetErr + "\r\n"},
		{[]string{"AUTH", "default", "anything"}, "+OK\r\n"},
		{[]string{"HELLO", "4"}, "-NOPROTO unsupported protocol version\r\n"},
		{[]string{"HELLO", "x"}, "-ERR Protocol version is not an integer or out of range\r\n"},
		{[]string{"HELLO", "3", "BOGUS"}, "-ERR Syntax error in HELLO option 'BOGUS'\r\n"},
		{[]string{"CLIENT", "SETNAME", "a b"}, "-" + badNameErr + "\r\n"},
		{[]string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{[]string{"CLIENT", "NOPE"}, "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"},
		{[]string{"CLIENT", "SETNAME"}, "-ERR wrong number of arguments for 'client|setname' command\r\n"},
		{[]string{"CLIENT", "NO-EVICT", "on"}, "+OK\r\n"},
		{[]string{"CLIENT", "NO-TOUCH", "maybe"}, "-ERR syntax error\r\n"},
		{[]string{"CLIENT", "KILL", "1.2.3.4:5"}, "-ERR No such client\r\n"},
		{[]string{"CLIENT", "KILL", "ID", "999"}, ":0\r\n"},
		{[]string{"COMMAND", "GETKEYS", "get"}, "-ERR Invalid number of arguments specified for command\r\n"},
		{[]string{"COMMAND", "GETKEYS", "ping"}, "-ERR The command has no key arguments\r\n"},
		{[]string{"COMMAND", "GETKEYS", "nope"}, "-ERR Invalid command specified\r\n"},
		{[]string{"COMMAND", "INFO", "nope"}, "*1\r\n*-1\r\n"},
		{[]string{"COMMAND", "DOCS", "echo"}, "*2\r\n$4\r\necho\r\n*6\r\n$7\r\nsummary\r\n$25\r\nReturns the given string.\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n"},
		{[]string{"CONFIG", "GET", "save"}, "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"},
		{[]string{"CONFIG", "SET", "maxmemory", "100mb"}, "+OK\r\n"},
		{[]string{"CONFIG", "GET", "maxmemory"}, "*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n"},
		{[]string{"CONFIG", "SET", "maxmemory", "lots"}, "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"},
		{[]string{"CONFIG", "SET", "nope", "1"}, "-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"MULTI"}, "-ERR MULTI calls can not be nested\r\n"},
		{[]string{"SET", "{a}1", "x"}, "+QUEUED\r\n"},
		{[]string{"SET", "b", "x"}, "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
		{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{[]string{"EXEC"}, "-ERR EXEC without MULTI\r\n"},
		{[]string{"DISCARD"}, "-ERR DISCARD without MULTI\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"SET", "{a}1", "y"}, "+QUEUED\r\n"},
		{[]string{"GET", "{a}1"}, "+QUEUED\r\n"},
		{[]string{"PING"}, "+QUEUED\r\n"},
		{[]string{"EXEC"}, "*3\r\n+OK\r\n$1\r\ny\r\n+PONG\r\n"},
		{[]string{"WATCH", "w"}, "+OK\r\n"},
		{[]string{"SET", "w", "1"}, "+OK\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"WATCH", "w"}, "-ERR WATCH inside MULTI is not allowed\r\n"},
		{[]string{"EXEC"}, "*-1\r\n"},
		{[]string{"RESET"}, "+RESET\r\n"},
	}
	for _, s := range steps {
		if got := c.run(s.args...); got != s.want {
			t.Fatalf("%q:\n got %q\nwant %q", s.args, got, s.want)
		}
	}
}

// TestHelloMap checks HELLO 3's map against Redis 7's fields.
func TestHelloMap(t *testing.T) {
	c := newTestConn(t, newTestServer(t, testConfig()))
	got := c.run("HELLO", "3", "SETNAME", "me")
	want := "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n" +
		"$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
	if got != want {
		t.Fatalf("HELLO 3:\n got %q\nwant %q", got, want)
	}
	if got := c.run("CLIENT", "GETNAME"); got != "$2\r\nme\r\n" {
		t.Fatalf("name after HELLO SETNAME: %q", got)
	}
}

func TestAuthRequired(t *testing.T) {
	cfg := testConfig()
	cfg.RequirePass = "pw"
	c := newTestConn(t, newTestServer(t, cfg))
	steps := [][2]string{
		{"GET k", "-NOAUTH Authentication required.\r\n"},
		{"HELLO 3", "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"},
		{"AUTH bad", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH other pw", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH pw", "+OK\r\n"},
		{"GET k", "$-1\r\n"},
		{"RESET", "+RESET\r\n"},
		{"GET k", "-NOAUTH Authentication required.\r\n"},
		{"HELLO 2 AUTH default pw", "*14\r\n"},
	}
	for _, s := range steps {
		got := c.run(strings.Fields(s[0])...)
		if !strings.HasPrefix(got, s[1]) {
			t.Fatalf("%s:\n got %q\nwant %q", s[0], got, s[1])
		}
	}
}

func TestKeysExtraction(t *testing.T) {
	tbl := newCommandTable()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"get", "a"}, "[a]"},
		{[]string{"mset", "a", "1", "b", "2"}, "[a b]"},
		{[]string{"del", "a", "b", "c"}, "[a b c]"},
		{[]string{"ping"}, "[]"},
		{[]string{"watch", "x", "y"}, "[x y]"},
	}
	for _, tc := range cases {
		args := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			args[i] = []byte(a)
		}
		cmd := tbl.lookup(args[0])
		var got []string
		for _, k := range keys(cmd, args) {
			got = append(got, string(k))
		}
		if s := "[" + strings.Join(got, " ") + "]"; s != tc.want {
			t.Errorf("keys(%v) = %s, want %s", tc.args, s, tc.want)
		}
	}
	if slotOf([][]byte{[]byte("{u}a"), []byte("{u}b")}) < 0 || slotOf([][]byte{[]byte("a"), []byte("b")}) != -2 {
		t.Error("slotOf")
	}
}

func TestCommandTableUniqueAndValid(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range [][]*command{connCommands(), serverCommands(), multiCommands(),
		stringCommands(), keyCommands(), bitCommands(), scanCommands()} {
		for _, cmd := range g {
			if seen[cmd.name] {
				t.Errorf("command %q defined twice", cmd.name)
			}
			seen[cmd.name] = true
			if cmd.name != strings.ToLower(cmd.name) || cmd.handler == nil || cmd.arity == 0 || len(cmd.name) > 32 {
				t.Errorf("command %q: bad entry", cmd.name)
			}
		}
	}
}

func TestClientReply(t *testing.T) {
	c := newTestConn(t, newTestServer(t, testConfig()))
	steps := [][2]string{
		{"CLIENT REPLY SKIP", ""},
		{"SET a 1", ""},
		{"GET a", "$1\r\n1\r\n"},
		{"CLIENT REPLY OFF", ""},
		{"INCR a", ""},
		{"NOSUCH", ""},
		{"CLIENT REPLY ON", "+OK\r\n"},
		{"GET a", "$1\r\n2\r\n"},
		{"CLIENT REPLY MAYBE", "-ERR syntax error\r\n"},
	}
	for _, s := range steps {
		if got := c.run(strings.Fields(s[0])...); got != s[1] {
			t.Fatalf("%s: got %q want %q", s[0], got, s[1])
		}
	}
}

func TestLookupCaseInsensitive(t *testing.T) {
	tbl := newCommandTable()
	for name, want := range map[string]string{"GET": "get", "sEt": "set", "Incr": "incr", "xet": "",
		"ge": "", "gets": "", "GE\x14": "", strings.Repeat("a", 40): "", "CLIENT": "client"} {
		got := ""
		if cmd := tbl.lookup([]byte(name)); cmd != nil {
			got = cmd.name
		}
		if got != want {
			t.Errorf("lookup(%q) = %q, want %q", name, got, want)
		}
	}
}
