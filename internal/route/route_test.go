package route

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/ring"
)

func threeNodeRing(t *testing.T) *ring.Ring {
	t.Helper()
	r, err := ring.Build(ring.DefaultConfig(), []ring.Member{
		{Name: "a", Addr: "127.0.0.1:7001"}, {Name: "b", Addr: "127.0.0.1:7002"}, {Name: "c", Addr: "127.0.0.1:7003"}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// keyOwnedBy finds a key whose slot the named member owns.
func keyOwnedBy(t *testing.T, r *ring.Ring, name, prefix string) string {
	t.Helper()
	for i := range 100000 {
		k := fmt.Sprintf("%s%d", prefix, i)
		if r.Owner(k).Name == name {
			return k
		}
	}
	t.Fatalf("no key for %s", name)
	return ""
}

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

func TestDecide(t *testing.T) {
	r := threeNodeRing(t)
	a1, a2 := keyOwnedBy(t, r, "a", "x"), keyOwnedBy(t, r, "a", "y")
	b1 := keyOwnedBy(t, r, "b", "x")
	cases := []struct {
		name       string
		keys       []string
		mode       Mode
		fwd, split bool
		want       Kind
	}{
		{"keyless", nil, Forward, false, false, Local},
		{"mine", []string{a1}, Forward, false, false, Local},
		{"mine, two slots", []string{a1, a2}, Forward, false, true, Local},
		{"mine, two slots, moved mode", []string{a1, a2}, Moved, false, true, CrossSlot},
		{"theirs", []string{b1}, Forward, false, false, Remote},
		{"theirs, moved mode", []string{b1}, Moved, false, false, Redirect},
		{"theirs, already forwarded", []string{b1}, Forward, true, false, TryAgain},
		{"theirs, already forwarded, moved mode", []string{b1}, Moved, true, false, TryAgain},
		{"spanning owners, splittable", []string{a1, b1}, Forward, false, true, Split},
		{"spanning owners, not splittable", []string{a1, b1}, Forward, false, false, CrossSlot},
		{"spanning owners, moved mode", []string{a1, b1}, Moved, false, true, CrossSlot},
		{"same tag, other owner", []string{"{" + b1 + "}1", "{" + b1 + "}2"}, Forward, false, false, Remote},
	}
	for _, tc := range cases {
		d := Decide(r, "a", bs(tc.keys...), tc.mode, tc.fwd, tc.split)
		if d.Kind != tc.want {
			t.Errorf("%s: kind %d, want %d", tc.name, d.Kind, tc.want)
		}
		if (d.Kind == Remote || d.Kind == Redirect) && d.Addr != "127.0.0.1:7002" {
			t.Errorf("%s: addr %s", tc.name, d.Addr)
		}
	}
	if got := MovedError(3999, "127.0.0.1:6381"); got != "MOVED 3999 127.0.0.1:6381" {
		t.Errorf("MovedError = %q", got)
	}
}

type server struct {
	conn net.Conn
	rr   *resp.ReplyReader
}

func dial(t *testing.T) server {
	t.Helper()
	srv := redistest.StartServer(t)
	conn, err := net.DialTimeout("tcp", srv.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return server{conn, resp.NewReplyReader(bufio.NewReader(conn), resp.DefaultReaderConfig())}
}

func (s server) do(t *testing.T, args [][]byte) []byte {
	t.Helper()
	if _, err := s.conn.Write(resp.AppendCommand(nil, args...)); err != nil {
		t.Fatal(err)
	}
	raw, err := s.rr.ReadRaw(nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Differential: one redis-server runs each multi-key command whole; a second
// runs it split by owner over a 3-member ring, and the merged reply must
// equal the first server's, command after command.
func TestSplitMergeMatchesRedis(t *testing.T) {
	whole, split := dial(t), dial(t)
	r := threeNodeRing(t)
	var keys []string
	for _, n := range []string{"a", "b", "c", "b", "a", "c"} {
		keys = append(keys, keyOwnedBy(t, r, n, "k"+n+fmt.Sprint(len(keys))))
	}
	cmds := [][]string{
		append([]string{"MSET"}, keys[0], "v0", keys[1], "v1", keys[3], "v3", keys[5], "v5"),
		append([]string{"MGET"}, append(keys, "missing", keys[0])...),
		append([]string{"EXISTS"}, append(keys, keys[0], "missing")...),
		append([]string{"TOUCH"}, keys...),
		append([]string{"UNLINK"}, keys[1], keys[5]),
		append([]string{"MGET"}, keys...),
		append([]string{"DEL"}, append(keys, "missing")...),
		append([]string{"MGET"}, keys...),
	}
	for _, cmd := range cmds {
		spec := Splittable[strings.ToLower(cmd[0])]
		parts, err := SplitArgs(r, bs(cmd...), spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) < 2 {
			t.Fatalf("%s split into %d parts; the test needs several owners", cmd[0], len(parts))
		}
		want := whole.do(t, bs(cmd...))
		replies := make([][]byte, len(parts))
		for i, p := range parts {
			replies[i] = split.do(t, p.Args)
		}
		got, err := Merge(spec, parts, replies, 2)
		if err != nil {
			t.Fatalf("%s: %v", cmd[0], err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: merged %q, redis says %q", strings.Join(cmd, " "), got, want)
		}
	}
}

func TestMergeErrorsAndRESP3Nulls(t *testing.T) {
	spec := Splittable["mget"]
	parts := []Part{{Index: []int{1}}, {Index: []int{0}}}
	got, err := Merge(spec, parts, [][]byte{[]byte("*1\r\n$-1\r\n"), []byte("*1\r\n$1\r\nx\r\n")}, 3)
	if err != nil || string(got) != "*2\r\n$1\r\nx\r\n_\r\n" {
		t.Fatalf("RESP3 merge = %q %v", got, err)
	}
	got, _ = Merge(Splittable["del"], parts, [][]byte{[]byte(":1\r\n"), []byte("-ERR boom\r\n")}, 2)
	if string(got) != "-ERR boom\r\n" {
		t.Fatalf("error reply not passed through: %q", got)
	}
	if _, err := SplitArgs(threeNodeRing(t), bs("MSET", "k"), Splittable["mset"]); err == nil {
		t.Fatal("odd MSET accepted")
	}
}
