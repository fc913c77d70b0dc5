package resp

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

// exchange sends in to a fresh connection, half-closes it and returns all
// Redis answers before it closes the connection (Redis closes on EOF).
func exchange(t *testing.T, addr string, in []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(in); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	return out
}

// TestRedisAgreesOnErrors runs every reader case against redis-server
// 7.0.15: a protocol error must be Redis's last reply, word for word, and
// inputs we accept must draw no protocol error from Redis.
func TestRedisAgreesOnErrors(t *testing.T) {
	srv := redistest.StartServer(t)
	for _, tc := range readerCases {
		out := exchange(t, srv.Addr, []byte(tc.in))
		if strings.HasPrefix(tc.err, "ERR Protocol error") {
			if !bytes.HasSuffix(out, []byte("-"+tc.err+"\r\n")) {
				t.Errorf("%s: Redis answered %q, we say %q", tc.name, tail(out), tc.err)
			}
			continue
		}
		if bytes.Contains(out, []byte("Protocol error")) {
			t.Errorf("%s: Redis answered %q, we accept it", tc.name, tail(out))
		}
	}
	cfg := DefaultReaderConfig()
	cfg.Unauthenticated = true
	if _, err := srv.Do("CONFIG", "SET", "requirepass", "pw"); err != nil {
		t.Fatal(err)
	}
	// Inline commands have no unauthenticated limit: Redis parses them and
	// answers NOAUTH.
	inline := "PING a b c d e f g h i j k\r\n"
	if got, err := readAll(strings.NewReader(inline), cfg); len(got) != 1 || errText(err) != "EOF" {
		t.Errorf("inline unauthenticated: %q %v", got, err)
	}
	if out := exchange(t, srv.Addr, []byte(inline)); bytes.Contains(out, []byte("Protocol error")) {
		t.Errorf("inline unauthenticated: Redis answered %q", out)
	}
	for _, in := range []string{"*11\r\n", "*2\r\n$4\r\nAUTH\r\n$16385\r\n"} {
		_, err := readAll(strings.NewReader(in), cfg)
		out := exchange(t, srv.Addr, []byte(in))
		if !bytes.Equal(out, []byte("-"+errText(err)+"\r\n")) {
			t.Errorf("%q: Redis %q, we %q", in, out, errText(err))
		}
	}
}

func tail(b []byte) []byte { return b[max(0, len(b)-80):] }

// TestRedisInlineQuoting checks inlineCases against Redis's own
// sdssplitargs: the list it builds from the inline RPUSH holds exactly the
// arguments we parse.
func TestRedisInlineQuoting(t *testing.T) {
	srv := redistest.StartServer(t)
	for _, tc := range inlineCases {
		in := "DEL l\r\nRPUSH l " + tc.in + "\r\nLRANGE l 0 -1\r\n"
		out := exchange(t, srv.Addr, []byte(in))
		rr := NewReplyReader(bytes.NewReader(out), DefaultReaderConfig())
		if _, err := rr.Read(); err != nil {
			t.Fatal(err)
		}
		v, err := rr.Read()
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == nil {
			if v.String() != `-ERR Protocol error: unbalanced quotes in request` {
				t.Errorf("%s: Redis answered %s, we say unbalanced quotes", tc.in, v)
			}
			continue
		}
		list, err := rr.Read()
		if err != nil {
			t.Fatalf("%s: %v after %s", tc.in, err, v)
		}
		var got []string
		for _, e := range list.Elems {
			got = append(got, string(e.Str))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%s: Redis has %q, we parse %q", tc.in, got, tc.want)
		}
	}
}
