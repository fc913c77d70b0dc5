package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// oneByteReader returns one byte per Read, the worst case for a parser.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// readAll parses every command of in until an error, rendering each as
// its Go-quoted arguments joined by spaces, and returns them with the error.
func readAll(src io.Reader, cfg ReaderConfig) ([]string, error) {
	r := NewReader(src, cfg)
	var got []string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return got, err
		}
		got = append(got, render(args))
	}
}

func render(args [][]byte) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = string(a)
	}
	return strings.Join(parts, "|")
}

// errText is what the server would reply for err, or a marker for the
// errors that end the connection without one.
func errText(err error) string {
	var pe *ProtocolError
	switch {
	case errors.As(err, &pe):
		return pe.Error()
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	case errors.Is(err, ErrQueryBufferLimit):
		return "query buffer limit"
	}
	return "other: " + err.Error()
}

var readerCases = []struct {
	name string
	in   string
	want []string // commands, arguments joined by '|'
	err  string   // errText of the error that ends the stream
}{
	{"set", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", []string{"SET|k|v"}, "EOF"},
	{"pipeline", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nPING\r\n", []string{"PING", "ECHO|", "PING"}, "EOF"},
	{"binary body", "*2\r\n$4\r\nECHO\r\n$4\r\n\x00\r\n\xff\r\n", []string{"ECHO|\x00\r\n\xff"}, "EOF"},
	{"empty query", "\r\n", nil, "EOF"},
	{"blank lines", "\r\n\n  \nPING\n", []string{"PING"}, "EOF"},
	{"negative multibulk", "*-10\r\n*1\r\n$4\r\nPING\r\n", []string{"PING"}, "EOF"},
	{"zero and null multibulk", "*0\r\n*-1\r\nPING\r\n", []string{"PING"}, "EOF"},
	{"trailing bytes unchecked", "*1\r\n$4\r\nPINGXX", []string{"PING"}, "EOF"},
	{"any byte after CR", "*1\rX$4\rXPING\r\n", []string{"PING"}, "EOF"},
	{"max bulk accepted", "*1\r\n$536870912\r\n", nil, "unexpected EOF"},
	{"huge multibulk accepted", "*2147483647\r\n", nil, "unexpected EOF"},
	{"redis 2.x out of range now accepted", "*20000000\r\n", nil, "unexpected EOF"},
	{"partial", "*2\r\n$3\r\nGET\r\n$1\r\n", nil, "unexpected EOF"},
	{"partial inline", "PING", nil, "unexpected EOF"},

	{"out of range multibulk", "*2147483648\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	{"redis test out of range", "*3000000000\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	{"leading zero count", "*01\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	{"plus count", "*+1\r\n$4\r\nPING\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	{"empty count", "*\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	{"overflow count", "*99999999999999999999\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	{"wrong payload header", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", nil, "ERR Protocol error: expected '$', got 'f'"},
	{"not followed by bulk", "*1\r\nfoo\r\n", nil, "ERR Protocol error: expected '$', got 'f'"},
	{"CR where $ expected", "*1\r\n\r\n", nil, "ERR Protocol error: expected '$', got ' '"},
	{"negative bulk", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", nil, "ERR Protocol error: invalid bulk length"},
	{"minus zero bulk", "*1\r\n$-0\r\n", nil, "ERR Protocol error: invalid bulk length"},
	{"out of range bulk", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", nil, "ERR Protocol error: invalid bulk length"},
	{"over proto-max-bulk-len", "*1\r\n$536870913\r\n", nil, "ERR Protocol error: invalid bulk length"},
	{"redcon panic header", "*1\r\n$9223372036854775807\r\n", nil, "ERR Protocol error: invalid bulk length"},
	{"non-number bulk", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", nil, "ERR Protocol error: invalid bulk length"},
	{"unbalanced double", "ECHO \"a\n", nil, "ERR Protocol error: unbalanced quotes in request"},
	{"quote not followed by space", "ECHO \"a\"b\n", nil, "ERR Protocol error: unbalanced quotes in request"},
	{"unbalanced single", "ECHO 'a\r\n", nil, "ERR Protocol error: unbalanced quotes in request"},
	{"commands before an error", "PING\n*1\r\nx\r\n", []string{"PING"}, "ERR Protocol error: expected '$', got 'x'"},
	{"too big inline", strings.Repeat("x", 65537), nil, "ERR Protocol error: too big inline request"},
	{"inline at the limit", strings.Repeat("x", 65536), nil, "unexpected EOF"},
	{"too big mbulk count", "*" + strings.Repeat("1", 65536), nil, "ERR Protocol error: too big mbulk count string"},
	{"too big bulk count", "*1\r\n$" + strings.Repeat("1", 65536), nil, "ERR Protocol error: too big bulk count string"},
	// Redis's "protocol desync" regression inputs: a NUL hides the line end
	// from strchr, so Redis waits until the inline limit.
	{"desync NUL", "\x00" + strings.Repeat("payload\n", 9000), nil, "ERR Protocol error: too big inline request"},
	{"desync star NUL", "*\x00" + strings.Repeat("payload\r\n", 9000), nil, "ERR Protocol error: too big mbulk count string"},
	{"desync dollar NUL", "$\x00" + strings.Repeat("payload\n", 9000), nil, "ERR Protocol error: too big inline request"},
	{"NUL hides newline", "ECHO a\x00b\nPING\n", nil, "unexpected EOF"},
}

func TestReaderCases(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tc.in)
				if oneByte {
					src = oneByteReader{src}
				}
				got, err := readAll(src, DefaultReaderConfig())
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || errText(err) != tc.err {
					t.Fatalf("oneByte=%v: %q\ngot  %q, %s\nwant %q, %s", oneByte, tc.in, got, errText(err), tc.want, tc.err)
				}
			}
		})
	}
}

// inlineCases are argument strings of an inline command and the arguments
// sdssplitargs makes of them (TestRedisInlineQuoting checks them on Redis).
var inlineCases = []struct {
	in   string
	want []string
}{
	{`b\x41 "b\x41"`, []string{`b\x41`, "bA"}},
	{`"\x4"`, []string{"x4"}},
	{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}},
	{`'a\'b'`, []string{"a'b"}},
	{`'a\nb'`, []string{`a\nb`}},
	{`a"b c"`, []string{"ab c"}},
	{`a'b c'`, []string{"ab c"}},
	{`""`, []string{""}},
	{`'' ""`, []string{"", ""}},
	{"a\vb", []string{"a\vb"}},
	{" \t a  \t", []string{"a"}},
	{`"\xff\x00\xAb"`, []string{"\xff\x00\xab"}},
	{`"a" 'b'`, []string{"a", "b"}},
	{`"a\`, nil},
	{`"a"b`, nil},
	{`'a'b`, nil},
	{`'a`, nil},
	{`"a\"`, nil},
}

func TestInlineQuoting(t *testing.T) {
	for _, tc := range inlineCases {
		got, err := readAll(strings.NewReader("RPUSH l "+tc.in+"\r\n"), DefaultReaderConfig())
		if tc.want == nil {
			if errText(err) != "ERR Protocol error: unbalanced quotes in request" || len(got) != 0 {
				t.Errorf("%s: got %q, %v; want unbalanced quotes", tc.in, got, err)
			}
			continue
		}
		want := "RPUSH|l|" + strings.Join(tc.want, "|")
		if len(got) != 1 || got[0] != want || !errors.Is(err, io.EOF) {
			t.Errorf("%s: got %q, %v; want %q", tc.in, got, err, want)
		}
	}
}

func TestUnauthenticatedLimits(t *testing.T) {
	cfg := DefaultReaderConfig()
	cfg.Unauthenticated = true
	cases := []struct{ in, err string }{
		{"*11\r\n", "ERR Protocol error: unauthenticated multibulk length"},
		{"*2\r\n$4\r\nAUTH\r\n$16385\r\n", "ERR Protocol error: unauthenticated bulk length"},
		{"*10\r\n$16384\r\n", "unexpected EOF"},
		{"*3000000000\r\n", "ERR Protocol error: invalid multibulk length"},
	}
	for _, tc := range cases {
		_, err := readAll(strings.NewReader(tc.in), cfg)
		if errText(err) != tc.err {
			t.Errorf("%q: %s, want %s", tc.in, errText(err), tc.err)
		}
	}
	r := NewReader(strings.NewReader("*11\r\n"+strings.Repeat("$1\r\nx\r\n", 11)), cfg)
	cfg.Unauthenticated = false
	r.SetConfig(cfg)
	if args, err := r.ReadCommand(); err != nil || len(args) != 11 {
		t.Fatalf("after SetConfig: %d args, %v", len(args), err)
	}
}

// stingyReader serves its data and then fails the test if read again: a
// limit must be enforced from the header alone.
type stingyReader struct {
	t    *testing.T
	data []byte
}

func (s *stingyReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		s.t.Fatal("reader asked for more input after a header it should reject")
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

func TestHugeHeaderRejectedBeforeBody(t *testing.T) {
	for _, h := range []string{"*1\r\n$536870913\r\n", "*1\r\n$9223372036854775807\r\n", "*4294967296\r\n"} {
		r := NewReader(&stingyReader{t: t, data: []byte(h)}, DefaultReaderConfig())
		if _, err := r.ReadCommand(); !IsProtocolError(err) {
			t.Fatalf("%q: %v", h, err)
		}
		if cap(r.in.buf) > defaultBufSize {
			t.Fatalf("%q grew the buffer to %d", h, cap(r.in.buf))
		}
	}
}

// TestMemoryFollowsArrival checks that the buffer grows with bytes that
// arrive, not with what headers promise.
func TestMemoryFollowsArrival(t *testing.T) {
	in := "*3\r\n$536870912\r\n" + strings.Repeat("x", 100_000)
	r := NewReader(strings.NewReader(in), DefaultReaderConfig())
	if _, err := r.ReadCommand(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatal(err)
	}
	if c := cap(r.in.buf); c > 2*len(in) {
		t.Fatalf("buffer %d bytes after %d arrived", c, len(in))
	}
	in = "*2147483647\r\n" + strings.Repeat("$0\r\n\r\n", 10_000)
	r = NewReader(strings.NewReader(in), DefaultReaderConfig())
	if _, err := r.ReadCommand(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatal(err)
	}
	if c := cap(r.spans); c > 2*10_000 {
		t.Fatalf("%d argument slots after 10000 arrived", c)
	}
}

func TestQueryBufferLimit(t *testing.T) {
	cfg := DefaultReaderConfig()
	cfg.MaxQueryBuffer = 1 << 20
	in := "*2\r\n$3\r\nSET\r\n$2000000\r\n" + strings.Repeat("x", 2_000_002)
	r := NewReader(strings.NewReader(in), cfg)
	_, err := r.ReadCommand()
	if !errors.Is(err, ErrQueryBufferLimit) {
		t.Fatalf("got %v", err)
	}
	if cap(r.in.buf) > 1<<20 {
		t.Fatalf("buffer grew to %d past the limit", cap(r.in.buf))
	}
	if _, err2 := r.ReadCommand(); !errors.Is(err2, ErrQueryBufferLimit) {
		t.Fatalf("not sticky: %v", err2)
	}
	// A command just under the limit passes.
	in = "*2\r\n$3\r\nSET\r\n$1000000\r\n" + strings.Repeat("x", 1_000_000) + "\r\n"
	got, err := readAll(strings.NewReader(in), cfg)
	if len(got) != 1 || !errors.Is(err, io.EOF) {
		t.Fatalf("under the limit: %d commands, %v", len(got), err)
	}
}

func TestBufferShrinksAfterLargeArgument(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 1<<20)
	in := AppendCommand(nil, []byte("SET"), []byte("k"), big)
	in = AppendCommandStrings(in, "GET", "k")
	r := NewReader(bytes.NewReader(in), DefaultReaderConfig())
	args, err := r.ReadCommand()
	if err != nil || !bytes.Equal(args[2], big) {
		t.Fatalf("large SET: %v", err)
	}
	if cap(r.in.buf) < 1<<20 {
		t.Fatalf("buffer %d did not grow", cap(r.in.buf))
	}
	if args, err = r.ReadCommand(); err != nil || render(args) != "GET|k" {
		t.Fatalf("GET: %q %v", args, err)
	}
	if cap(r.in.buf) != defaultBufSize {
		t.Fatalf("buffer stayed at %d", cap(r.in.buf))
	}
}

func TestBuffered(t *testing.T) {
	in := AppendCommandStrings(nil, "PING")
	in = AppendCommandStrings(in, "PING")
	r := NewReader(bytes.NewReader(in), DefaultReaderConfig())
	if _, err := r.ReadCommand(); err != nil || r.Buffered() == 0 {
		t.Fatalf("first: %v, buffered %d", err, r.Buffered())
	}
	if _, err := r.ReadCommand(); err != nil || r.Buffered() != 0 {
		t.Fatalf("second: %v, buffered %d", err, r.Buffered())
	}
}

// TestArgsDoNotClobber checks that an argument cannot be appended to over
// the next one (its capacity ends with it).
func TestArgsDoNotClobber(t *testing.T) {
	r := NewReader(strings.NewReader("*2\r\n$1\r\na\r\n$1\r\nb\r\nX Y\n"), DefaultReaderConfig())
	for range 2 {
		args, err := r.ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		_ = append(args[0], '!', '!', '!', '!', '!', '!', '!')
		if len(args[1]) != 1 || args[1][0] == '!' {
			t.Fatalf("second argument clobbered: %q", args[1])
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultReaderConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*ReaderConfig){
		func(c *ReaderConfig) { c.MaxBulkLen = 0 },
		func(c *ReaderConfig) { c.MaxMultibulkLen = -1 },
		func(c *ReaderConfig) { c.MaxInlineLen = 1 },
		func(c *ReaderConfig) { c.MaxQueryBuffer = 10 },
	}
	for i, f := range bad {
		c := DefaultReaderConfig()
		f(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("case %d: %v", i, err)
		}
		if err := c.sanitize().Validate(); err != nil {
			t.Errorf("case %d sanitized: %v", i, err)
		}
	}
	// The zero config still reads, with default limits.
	got, err := readAll(strings.NewReader("PING\r\n"), ReaderConfig{})
	if len(got) != 1 || !errors.Is(err, io.EOF) {
		t.Fatalf("zero config: %q %v", got, err)
	}
}

// errAfter returns data, then a non-EOF error.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReadErrorPassesThrough(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(&errAfter{data: []byte("PING\r\n*1\r\n"), err: boom}, DefaultReaderConfig())
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadCommand(); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	r = NewReader(&errAfter{err: nil}, DefaultReaderConfig())
	if _, err := r.ReadCommand(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("empty reads: %v", err)
	}
}

// TestLongLineInOneRead covers the one deliberate difference from Redis: a
// line over the inline limit is refused even when it arrives in a single
// read (Redis would take it), so the answer never depends on how TCP split
// the bytes.
func TestLongLineInOneRead(t *testing.T) {
	for in, want := range map[string]string{
		strings.Repeat("x", 65537) + "\n":               "ERR Protocol error: too big inline request",
		strings.Repeat("x", 65536) + "\n":               "EOF",
		"*" + strings.Repeat("1", 65536) + "\r\n":       "ERR Protocol error: too big mbulk count string",
		"*1\r\n$" + strings.Repeat("1", 65536) + "\r\n": "ERR Protocol error: too big bulk count string",
	} {
		for _, src := range []io.Reader{strings.NewReader(in), oneByteReader{strings.NewReader(in)}} {
			if _, err := readAll(src, DefaultReaderConfig()); errText(err) != want {
				t.Errorf("%d-byte line: %s, want %s", len(in), errText(err), want)
			}
		}
	}
}

// timeoutOnce fails its first Read after the first chunk, then serves the
// rest: a read deadline that fired in the middle of a command.
type timeoutOnce struct {
	chunks [][]byte
	failed bool
}

var errTimeout = errors.New("i/o timeout")

func (s *timeoutOnce) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	if len(s.chunks) == 1 && !s.failed {
		s.failed = true
		return 0, errTimeout
	}
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	return n, nil
}

func TestReadResumesAfterTimeout(t *testing.T) {
	src := &timeoutOnce{chunks: [][]byte{[]byte("*2\r\n$4\r\nECHO\r\n$5\r\nhe"), []byte("llo\r\n")}}
	r := NewReader(src, DefaultReaderConfig())
	if _, err := r.ReadCommand(); !errors.Is(err, errTimeout) {
		t.Fatalf("first call: %v", err)
	}
	args, err := r.ReadCommand()
	if err != nil || render(args) != "ECHO|hello" {
		t.Fatalf("after the timeout: %q %v", args, err)
	}
}

func TestArgumentSlicesShrink(t *testing.T) {
	args := make([][]byte, 10_000)
	for i := range args {
		args[i] = []byte("x")
	}
	in := AppendCommand(nil, args...)
	in = AppendCommandStrings(in, "PING")
	r := NewReader(bytes.NewReader(in), DefaultReaderConfig())
	if got, err := r.ReadCommand(); err != nil || len(got) != 10_000 {
		t.Fatalf("%d args, %v", len(got), err)
	}
	if got, err := r.ReadCommand(); err != nil || render(got) != "PING" {
		t.Fatalf("%q %v", got, err)
	}
	if cap(r.spans) > maxPrealloc || cap(r.args) > maxPrealloc {
		t.Fatalf("kept %d spans, %d args", cap(r.spans), cap(r.args))
	}
}
