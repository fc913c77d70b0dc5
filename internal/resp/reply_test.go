package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReplyReaderParses(t *testing.T) {
	cases := []struct{ in, want string }{
		{"+OK\r\n", "+OK"},
		{"-ERR x\r\n", "-ERR x"},
		{":-7\r\n", ":-7"},
		{"$3\r\na\nb\r\n", `"a\nb"`},
		{"$-1\r\n", "$(nil)"},
		{"*-1\r\n", "*(nil)"},
		{"*2\r\n$1\r\na\r\n*0\r\n", `*["a" *[]]`},
		{"_\r\n", "_"},
		{",1.5\r\n", ",1.5"},
		{"#t\r\n", "#t"},
		{"#f\r\n", "#f"},
		{"!3\r\nERR\r\n", `!"ERR"`},
		{"=7\r\nmkd:a b\r\n", `=mkd:"a b"`},
		{"(123\r\n", "(123"},
		{"%1\r\n+k\r\n:1\r\n", "%{+k::1}"},
		{"~1\r\n+m\r\n", "~[+m]"},
		{">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n", `>[+invalidate *["k"]]`},
		{"|1\r\n+ttl\r\n:3\r\n:7\r\n", "|{+ttl::3} :7"},
		{"*1\r\n|1\r\n+a\r\n+b\r\n+c\r\n", "*[|{+a:+b} +c]"},
	}
	for _, tc := range cases {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tc.in)
			if oneByte {
				src = oneByteReader{src}
			}
			v, err := NewReplyReader(src, DefaultReaderConfig()).Read()
			if err != nil || v.String() != tc.want {
				t.Errorf("%q: %s, %v; want %s", tc.in, v, err, tc.want)
			}
			raw, err := NewReplyReader(strings.NewReader(tc.in+"+next\r\n"), DefaultReaderConfig()).ReadRaw([]byte("x"))
			if err != nil || string(raw) != "x"+tc.in {
				t.Errorf("%q: ReadRaw %q, %v", tc.in, raw, err)
			}
		}
	}
}

func TestReplyReaderErrors(t *testing.T) {
	cases := []struct{ in, err string }{
		{"?x\r\n", "ERR Protocol error: unexpected reply type '?'"},
		{"+OK\n", `ERR Protocol error: invalid reply line "+OK\n"`},
		{"\r\n", `ERR Protocol error: invalid reply line "\r\n"`},
		{":12a\r\n", `ERR Protocol error: invalid integer reply "12a"`},
		{"$-2\r\n", "ERR Protocol error: invalid bulk length"},
		{"!-1\r\n", "ERR Protocol error: invalid bulk length"},
		{"$536870913\r\n", "ERR Protocol error: invalid bulk length"},
		{"$9223372036854775807\r\n", "ERR Protocol error: invalid bulk length"},
		{"=3\r\ntxt\r\n", "ERR Protocol error: invalid bulk length"},
		{"=4\r\ntxtx\r\n", "ERR Protocol error: invalid verbatim string"},
		{"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"},
		{"%-1\r\n", "ERR Protocol error: invalid multibulk length"},
		{"$1\r\nab\r\n", "ERR Protocol error: bulk string not followed by CRLF"},
		{"_x\r\n", "ERR Protocol error: invalid null reply"},
		{"#x\r\n", "ERR Protocol error: invalid boolean reply"},
		{",x\r\n", `ERR Protocol error: invalid double reply "x"`},
		{strings.Repeat("*1\r\n", 600) + ":1\r\n", "ERR Protocol error: reply nested too deeply"},
		{"*2\r\n:1\r\n", "unexpected EOF"},
		{"$5\r\nab", "unexpected EOF"},
		{"", "EOF"},
	}
	for _, tc := range cases {
		rr := NewReplyReader(strings.NewReader(tc.in), DefaultReaderConfig())
		_, err := rr.Read()
		if errText(err) != tc.err && !(tc.err != "EOF" && strings.HasPrefix(tc.err, "ERR") && err != nil && err.Error() == tc.err) {
			t.Errorf("%q: %s, want %s", tc.in, errText(err), tc.err)
		}
		if _, err2 := rr.Read(); errText(err2) != errText(err) {
			t.Errorf("%q: error not sticky: %v then %v", tc.in, err, err2)
		}
	}
	// ReadRaw is iterative: deep nesting is fine there.
	deep := strings.Repeat("*1\r\n", 100_000) + ":1\r\n"
	raw, err := NewReplyReader(strings.NewReader(deep), DefaultReaderConfig()).ReadRaw(nil)
	if err != nil || string(raw) != deep {
		t.Fatalf("deep ReadRaw: %v", err)
	}
}

func TestReplyReaderBounded(t *testing.T) {
	// A huge count allocates nothing up front; a huge bulk needs its bytes.
	for _, in := range []string{"*2147483647\r\n:1\r\n", "%2147483647\r\n", "$536870912\r\nabc"} {
		rr := NewReplyReader(strings.NewReader(in), DefaultReaderConfig())
		if _, err := rr.Read(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%q: %v", in, err)
		}
		if cap(rr.in.buf) > defaultBufSize {
			t.Fatalf("%q grew the buffer to %d", in, cap(rr.in.buf))
		}
	}
	cfg := DefaultReaderConfig()
	cfg.MaxQueryBuffer = 1 << 16
	long := "+" + strings.Repeat("x", 1<<17) + "\r\n"
	if _, err := NewReplyReader(strings.NewReader(long), cfg).ReadRaw(nil); !errors.Is(err, ErrQueryBufferLimit) {
		t.Fatalf("long line: %v", err)
	}
	// A bulk larger than the buffer limit streams through ReadRaw.
	big := "$200000\r\n" + strings.Repeat("y", 200000) + "\r\n"
	raw, err := NewReplyReader(strings.NewReader(big), cfg).ReadRaw(nil)
	if err != nil || !bytes.Equal(raw, []byte(big)) {
		t.Fatalf("big bulk: %v", err)
	}
}
