package resp

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

var writerCases = []struct {
	name         string
	write        func(w *Writer)
	resp2, resp3 string
}{
	{"simple", func(w *Writer) { w.WriteSimple("OK") }, "+OK\r\n", "+OK\r\n"},
	{"simple CRLF", func(w *Writer) { w.WriteSimple("a\r\nb") }, "+a  b\r\n", "+a  b\r\n"},
	{"error", func(w *Writer) { w.WriteError("ERR syntax error") }, "-ERR syntax error\r\n", "-ERR syntax error\r\n"},
	{"error CRLF", func(w *Writer) { w.WriteError("ERR a\nb\rc") }, "-ERR a b c\r\n", "-ERR a b c\r\n"},
	{"int", func(w *Writer) { w.WriteInt(-42) }, ":-42\r\n", ":-42\r\n"},
	{"int min", func(w *Writer) { w.WriteInt(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
	{"bulk", func(w *Writer) { w.WriteBulk([]byte("a\r\nb")) }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
	{"empty bulk", func(w *Writer) { w.WriteBulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
	{"bulk string", func(w *Writer) { w.WriteBulkString("hé") }, "$3\r\nhé\r\n", "$3\r\nhé\r\n"},
	{"null", func(w *Writer) { w.WriteNull() }, "$-1\r\n", "_\r\n"},
	{"null array", func(w *Writer) { w.WriteNullArray() }, "*-1\r\n", "_\r\n"},
	{"array", func(w *Writer) { w.WriteArray(2); w.WriteInt(1); w.WriteNull() }, "*2\r\n:1\r\n$-1\r\n", "*2\r\n:1\r\n_\r\n"},
	{"empty array", func(w *Writer) { w.WriteArray(0) }, "*0\r\n", "*0\r\n"},
	{"map", func(w *Writer) { w.WriteMap(1); w.WriteBulkString("k"); w.WriteInt(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
	{"set", func(w *Writer) { w.WriteSet(1); w.WriteBulkString("m") }, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
	{"push", func(w *Writer) { w.WritePush(1); w.WriteBulkString("invalidate") }, "*1\r\n$10\r\ninvalidate\r\n", ">1\r\n$10\r\ninvalidate\r\n"},
	{"attribute", func(w *Writer) { w.WriteAttribute(1); w.WriteBulkString("ttl"); w.WriteInt(3); w.WriteInt(7) }, "$3\r\nttl\r\n:3\r\n:7\r\n", "|1\r\n$3\r\nttl\r\n:3\r\n:7\r\n"},
	{"double", func(w *Writer) { w.WriteDouble(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
	{"double 0.1", func(w *Writer) { w.WriteDouble(0.1) }, "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"},
	{"double big", func(w *Writer) { w.WriteDouble(1e20) }, "$5\r\n1e+20\r\n", ",1e+20\r\n"},
	{"double int", func(w *Writer) { w.WriteDouble(3) }, "$1\r\n3\r\n", ",3\r\n"},
	{"double inf", func(w *Writer) { w.WriteDouble(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
	{"double -inf", func(w *Writer) { w.WriteDouble(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
	{"double nan", func(w *Writer) { w.WriteDouble(math.NaN()) }, "$3\r\nnan\r\n", ",nan\r\n"},
	{"bool true", func(w *Writer) { w.WriteBool(true) }, ":1\r\n", "#t\r\n"},
	{"bool false", func(w *Writer) { w.WriteBool(false) }, ":0\r\n", "#f\r\n"},
	{"verbatim", func(w *Writer) { w.WriteVerbatim("txt", "a\r\nb") }, "$4\r\na\r\nb\r\n", "=8\r\ntxt:a\r\nb\r\n"},
	{"verbatim bad format", func(w *Writer) { w.WriteVerbatim("markdown", "x") }, "$1\r\nx\r\n", "=5\r\ntxt:x\r\n"},
	{"big number", func(w *Writer) { w.WriteBigNumber("12345678901234567890") }, "$20\r\n12345678901234567890\r\n", "(12345678901234567890\r\n"},
	{"raw", func(w *Writer) { w.WriteRaw([]byte("+FWD\r\n")) }, "+FWD\r\n", "+FWD\r\n"},
}

func TestWriterReplies(t *testing.T) {
	for _, tc := range writerCases {
		for _, proto := range []int{2, 3} {
			var out bytes.Buffer
			w := NewWriter(&out)
			w.SetProtocol(proto)
			tc.write(w)
			if out.Len() != 0 {
				t.Fatalf("%s: bytes reached the socket before Flush", tc.name)
			}
			want := map[int]string{2: tc.resp2, 3: tc.resp3}[proto]
			if w.Buffered() != len(want) {
				t.Errorf("%s RESP%d: Buffered %d, want %d", tc.name, proto, w.Buffered(), len(want))
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Errorf("%s RESP%d: %q, want %q", tc.name, proto, out.String(), want)
			}
			// Every reply parses back as exactly one reply.
			rr := NewReplyReader(bytes.NewReader(out.Bytes()), DefaultReaderConfig())
			raw, err := rr.ReadRaw(nil)
			if tc.name != "attribute" || proto == 3 {
				if err != nil || string(raw) != want {
					t.Errorf("%s RESP%d: ReadRaw %q, %v", tc.name, proto, raw, err)
				}
			}
		}
	}
}

func TestWriterProtocolAndReset(t *testing.T) {
	w := NewWriter(nil)
	if w.Protocol() != 2 {
		t.Fatal("default protocol")
	}
	w.SetProtocol(4)
	if w.Protocol() != 2 {
		t.Fatal("SetProtocol(4) accepted")
	}
	w.SetProtocol(3)
	w.WriteNull()
	var out bytes.Buffer
	w.Reset(&out)
	if w.Buffered() != 0 || w.Protocol() != 2 {
		t.Fatal("Reset kept state")
	}
	w.WriteNull()
	if err := w.Flush(); err != nil || out.String() != "$-1\r\n" {
		t.Fatalf("%q %v", out.String(), err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal("empty flush:", err)
	}
}

type failWriter struct{}

var errWrite = errors.New("write failed")

func (failWriter) Write(p []byte) (int, error) { return 0, errWrite }

func TestWriterFlushError(t *testing.T) {
	w := NewWriter(failWriter{})
	w.WriteBulk(make([]byte, 1<<20))
	if err := w.Flush(); !errors.Is(err, errWrite) {
		t.Fatalf("got %v", err)
	}
	if w.Buffered() != 0 || cap(w.buf) != defaultBufSize {
		t.Fatalf("buffer not released: %d/%d", w.Buffered(), cap(w.buf))
	}
}

// TestRedisDoubleFormat compares WriteDouble with Redis 7.0's ZSCORE reply,
// which formats the score with addReplyDouble, in RESP2 and RESP3.
func TestRedisDoubleFormat(t *testing.T) {
	srv := redistest.StartServer(t)
	values := []float64{0, 1.5, 0.1, -2.5e-7, 1e20, 123456789012345678, 3.14159, 1.0 / 3, math.Inf(1), math.Inf(-1), math.MaxFloat64, 5e-324}
	for _, proto := range []int{2, 3} {
		for _, f := range values {
			var want bytes.Buffer
			w := NewWriter(&want)
			w.SetProtocol(proto)
			w.WriteDouble(f)
			_ = w.Flush()
			req := AppendCommandStrings(nil, "HELLO", strconv.Itoa(proto))
			req = AppendCommandStrings(req, "ZADD", "z", strconv.FormatFloat(f, 'g', -1, 64), "m")
			req = AppendCommandStrings(req, "ZSCORE", "z", "m")
			rr := NewReplyReader(bytes.NewReader(exchange(t, srv.Addr, req)), DefaultReaderConfig())
			var got []byte
			for range 3 {
				var err error
				if got, err = rr.ReadRaw(got[:0]); err != nil {
					t.Fatal(err)
				}
			}
			if string(got) != want.String() {
				t.Errorf("RESP%d %v: Redis %q, we %q", proto, f, got, want.String())
			}
		}
	}
}

// TestRedisReplyShapes compares Writer's RESP2 and RESP3 encodings with
// redis-server's replies of the same shape.
func TestRedisReplyShapes(t *testing.T) {
	srv := redistest.StartServer(t)
	cases := []struct {
		cmd   []string
		write func(w *Writer)
	}{
		{[]string{"PING"}, func(w *Writer) { w.WriteSimple("PONG") }},
		{[]string{"GET", "missing"}, func(w *Writer) { w.WriteNull() }},
		{[]string{"LPOP", "missing", "2"}, func(w *Writer) { w.WriteNullArray() }},
		{[]string{"HGETALL", "h"}, func(w *Writer) { w.WriteMap(1); w.WriteBulkString("k"); w.WriteBulkString("v") }},
		{[]string{"SMEMBERS", "s"}, func(w *Writer) { w.WriteSet(1); w.WriteBulkString("m") }},
		{[]string{"ECHO", "a\r\nb"}, func(w *Writer) { w.WriteBulkString("a\r\nb") }},
		{[]string{"EXISTS", "h"}, func(w *Writer) { w.WriteInt(1) }},
		{[]string{"GET", "h"}, func(w *Writer) {
			w.WriteError("WRONGTYPE Operation against a key holding the wrong kind of value")
		}},
	}
	for _, proto := range []int{2, 3} {
		req := AppendCommandStrings(nil, "HELLO", strconv.Itoa(proto))
		req = AppendCommandStrings(req, "HSET", "h", "k", "v")
		req = AppendCommandStrings(req, "SADD", "s", "m")
		for _, tc := range cases {
			req = AppendCommandStrings(req, tc.cmd...)
		}
		rr := NewReplyReader(bytes.NewReader(exchange(t, srv.Addr, req)), DefaultReaderConfig())
		for range 3 {
			if _, err := rr.ReadRaw(nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range cases {
			got, err := rr.ReadRaw(nil)
			if err != nil {
				t.Fatal(err)
			}
			w := NewWriter(nil)
			w.SetProtocol(proto)
			tc.write(w)
			if string(got) != string(w.Bytes()) {
				t.Errorf("RESP%d %v: Redis %q, we %q", proto, tc.cmd, got, w.Bytes())
			}
		}
	}
}
