package cacheserver

// Differential test: the scripts in testdata/diff/*.txt are replayed over raw
// TCP against a real redis-server 7.0 and against an in-process cacheserver,
// and every reply is compared exactly, apart from the per-line relaxations
// listed below (each one is a documented, allowed difference).
//
// Script format (one command per line, redis-cli quoting):
//
//	# comment
//	=== scenario name [resp3]   new connection, FLUSHALL, HELLO 3 if resp3
//	SET k v                     replies must be identical
//	~sorted KEYS *              arrays compared as sorted multisets: key order
//	                            is hash-table order in Redis, slot order here
//	~approx=N PTTL k            integers may differ by up to N: the two servers
//	                            run the command at slightly different instants
//	~kind EXPIRETIME k          only the reply type is compared: the value is
//	                            an absolute wall-clock time or a random choice
//	~scan SCAN 0 MATCH a*       run the whole iteration (the cursor is opaque
//	                            and differs) and compare the sets of keys
//	~norun DEBUG SLEEP 0        sent to redis-server only (no comparison)

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

// diffLine is one command of a script with its comparison mode.
type diffLine struct {
	lineNo int
	mode   string // "", "sorted", "approx", "kind", "scan", "norun"
	approx int64
	args   []string
}

// diffScenario is a named sequence of commands run on a fresh connection.
type diffScenario struct {
	file, name string
	resp3      bool
	lines      []diffLine
}

func loadDiffScenarios(t *testing.T) []diffScenario {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "diff", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/diff: %v", err)
	}
	var all []diffScenario
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := parseDiffScript(filepath.Base(f), string(data))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, sc...)
	}
	return all
}

func parseDiffScript(file, text string) ([]diffScenario, error) {
	var out []diffScenario
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, ok := strings.CutPrefix(line, "==="); ok {
			name = strings.TrimSpace(name)
			resp3 := strings.HasSuffix(name, " resp3")
			out = append(out, diffScenario{file: file, name: strings.TrimSuffix(name, " resp3"), resp3: resp3})
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s:%d: command before the first === header", file, i+1)
		}
		dl, err := parseDiffLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, i+1, err)
		}
		dl.lineNo = i + 1
		sc := &out[len(out)-1]
		sc.lines = append(sc.lines, dl)
	}
	return out, nil
}

func parseDiffLine(line string) (diffLine, error) {
	var dl diffLine
	if strings.HasPrefix(line, "~") {
		mod, rest, _ := strings.Cut(line[1:], " ")
		line = rest
		dl.mode = mod
		if n, ok := strings.CutPrefix(mod, "approx="); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return dl, err
			}
			dl.mode, dl.approx = "approx", v
		}
		switch dl.mode {
		case "sorted", "approx", "kind", "scan", "norun":
		default:
			return dl, fmt.Errorf("unknown modifier ~%s", mod)
		}
	}
	args, err := splitArgs(line)
	if err != nil {
		return dl, err
	}
	if len(args) == 0 {
		return dl, errors.New("empty command")
	}
	dl.args = args
	return dl, nil
}

// splitArgs splits a line the way redis-cli does (sdssplitargs): "double"
// quotes with \n \r \t \b \a \\ \" \xHH escapes, 'single' quotes with \'.
func splitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		arg, next, err := nextArg(line, i)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		i = next
	}
}

func nextArg(line string, i int) (string, int, error) {
	var b strings.Builder
	switch line[i] {
	case '"':
		return quotedArg(line, i+1, '"')
	case '\'':
		return quotedArg(line, i+1, '\'')
	}
	for i < len(line) && line[i] != ' ' && line[i] != '\t' {
		b.WriteByte(line[i])
		i++
	}
	return b.String(), i, nil
}

func quotedArg(line string, i int, q byte) (string, int, error) {
	var b strings.Builder
	for ; i < len(line); i++ {
		c := line[i]
		if c == q {
			if i+1 < len(line) && line[i+1] != ' ' {
				return "", 0, errors.New("closing quote must be followed by a space")
			}
			return b.String(), i + 1, nil
		}
		if c != '\\' || i+1 == len(line) {
			b.WriteByte(c)
			continue
		}
		i++
		if q == '\'' {
			if line[i] != '\'' {
				b.WriteByte('\\')
			}
			b.WriteByte(line[i])
			continue
		}
		if line[i] == 'x' && i+2 < len(line) {
			if v, err := strconv.ParseUint(line[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(unescape(line[i]))
	}
	return "", 0, errors.New("unbalanced quotes")
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// reply is a parsed RESP2/RESP3 reply.
type reply struct {
	kind  byte // RESP type byte: + - : $ * _ , # ! = ( % ~ > ; bulk nil is '$' with null
	str   string
	null  bool
	elems []reply
}

// String renders a reply canonically (what is compared and printed).
func (r reply) String() string {
	if r.null {
		return fmt.Sprintf("%c(nil)", r.kind)
	}
	switch r.kind {
	case '*', '%', '~', '>':
		parts := make([]string, len(r.elems))
		for i, e := range r.elems {
			parts[i] = e.String()
		}
		return fmt.Sprintf("%c[%s]", r.kind, strings.Join(parts, " "))
	}
	return fmt.Sprintf("%c%q", r.kind, r.str)
}

// readReply reads one reply; it is independent of internal/resp on purpose.
func readReply(br *bufio.Reader) (reply, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return reply{}, fmt.Errorf("bad reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':', ',', '#', '(':
		return reply{kind: kind, str: body}, nil
	case '_':
		return reply{kind: kind, null: true}, nil
	case '$', '!', '=':
		return readBlob(br, kind, body)
	case '*', '%', '~', '>':
		return readAggregate(br, kind, body)
	}
	return reply{}, fmt.Errorf("unknown reply type %q", line)
}

func readBlob(br *bufio.Reader, kind byte, body string) (reply, error) {
	n, err := strconv.Atoi(body)
	if err != nil {
		return reply{}, err
	}
	if n < 0 {
		return reply{kind: kind, null: true}, nil
	}
	buf := make([]byte, n+2)
	if _, err := ioReadFull(br, buf); err != nil {
		return reply{}, err
	}
	return reply{kind: kind, str: string(buf[:n])}, nil
}

func readAggregate(br *bufio.Reader, kind byte, body string) (reply, error) {
	n, err := strconv.Atoi(body)
	if err != nil {
		return reply{}, err
	}
	if n < 0 {
		return reply{kind: kind, null: true}, nil
	}
	if kind == '%' {
		n *= 2
	}
	r := reply{kind: kind, elems: make([]reply, 0, n)}
	for i := 0; i < n; i++ {
		e, err := readReply(br)
		if err != nil {
			return reply{}, err
		}
		r.elems = append(r.elems, e)
	}
	return r, nil
}

func ioReadFull(br *bufio.Reader, buf []byte) (int, error) {
	read := 0
	for read < len(buf) {
		n, err := br.Read(buf[read:])
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// diffClient is one raw connection.
type diffClient struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialDiff(t *testing.T, addr string) *diffClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &diffClient{conn: c, br: bufio.NewReader(c)}
}

func (c *diffClient) do(args ...string) (reply, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(b.Bytes()); err != nil {
		return reply{}, err
	}
	return readReply(c.br)
}

// scanAll runs a full SCAN (or HSCAN/SSCAN: cursor after the key, the
// elements field/value pairs for HSCAN) iteration starting from the line's
// arguments and returns the sorted set of elements seen.
func (c *diffClient) scanAll(args []string) (reply, error) {
	args = append([]string(nil), args...)
	at := 1
	if !strings.EqualFold(args[0], "scan") {
		at = 2
	}
	seen := map[string]bool{}
	for range 100000 {
		r, err := c.do(args...)
		if err != nil || r.kind != '*' || len(r.elems) != 2 {
			return r, err
		}
		for _, k := range r.elems[1].elems {
			seen[k.str] = true
		}
		if r.elems[0].str == "0" {
			keys := make([]string, 0, len(seen))
			for k := range seen {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := reply{kind: '*'}
			for _, k := range keys {
				out.elems = append(out.elems, reply{kind: '$', str: k})
			}
			return out, nil
		}
		args[at] = r.elems[0].str
	}
	return reply{}, errors.New("SCAN did not terminate")
}

func (c *diffClient) run(l diffLine) (reply, error) {
	if l.mode == "scan" {
		return c.scanAll(l.args)
	}
	return c.do(l.args...)
}

// sortedReply sorts the elements of every array in r (recursively).
func sortedReply(r reply) reply {
	if len(r.elems) == 0 {
		return r
	}
	out := r
	out.elems = make([]reply, len(r.elems))
	for i, e := range r.elems {
		out.elems[i] = sortedReply(e)
	}
	sort.Slice(out.elems, func(i, j int) bool { return out.elems[i].String() < out.elems[j].String() })
	return out
}

// sameReply compares two replies under a line's comparison mode.
func sameReply(mode string, approx int64, want, got reply) bool {
	switch mode {
	case "sorted":
		return sortedReply(want).String() == sortedReply(got).String()
	case "kind":
		return want.kind == got.kind && want.null == got.null
	case "approx":
		if want.kind != ':' || got.kind != ':' {
			return want.String() == got.String()
		}
		a, _ := strconv.ParseInt(want.str, 10, 64)
		b, _ := strconv.ParseInt(got.str, 10, 64)
		return a-b <= approx && b-a <= approx
	}
	return want.String() == got.String()
}

// startSession opens a connection for a scenario: FLUSHALL and optional HELLO 3.
func startSession(t *testing.T, addr string, resp3 bool) *diffClient {
	t.Helper()
	c := dialDiff(t, addr)
	if r, err := c.do("FLUSHALL"); err != nil || r.str != "OK" {
		t.Fatalf("%s FLUSHALL: %v %v", addr, r, err)
	}
	if resp3 {
		if r, err := c.do("HELLO", "3"); err != nil || r.kind != '%' {
			t.Fatalf("%s HELLO 3: %v %v", addr, r, err)
		}
	}
	return c
}

// runScenario replays one scenario on redis (want) and on the server under
// test (got) and reports every difference.
func runScenario(t *testing.T, sc diffScenario, redisAddr, target string) {
	want := startSession(t, redisAddr, sc.resp3)
	got := startSession(t, target, sc.resp3)
	for _, l := range sc.lines {
		w, err := want.run(l)
		if err != nil {
			t.Fatalf("%s:%d redis %q: %v", sc.file, l.lineNo, l.args, err)
		}
		if l.mode == "norun" {
			continue
		}
		g, err := got.run(l)
		if err != nil {
			t.Fatalf("%s:%d cacheserver %q: %v", sc.file, l.lineNo, l.args, err)
		}
		if !sameReply(l.mode, l.approx, w, g) {
			t.Errorf("%s:%d %q\n  redis:       %v\n  cacheserver: %v", sc.file, l.lineNo, l.args, w, g)
		}
	}
}

// diffLimitsFile is run against servers whose proto-max-bulk-len is 1 MiB
// (Redis's minimum), so size limits are reached without 512 MiB values.
const (
	diffLimitsFile = "limits.txt"
	diffSmallBulk  = 1 << 20
)

func TestDiffAgainstRedis(t *testing.T) {
	scenarios := loadDiffScenarios(t)
	rs := redistest.StartServer(t)
	target := startCmdServer(t)
	small := redistest.StartServer(t, "--proto-max-bulk-len", strconv.Itoa(diffSmallBulk))
	cfg := DefaultConfig()
	cfg.MaxBulkLen, cfg.Store.MaxValueSize = diffSmallBulk, diffSmallBulk
	smallTarget := startCmdServerWith(t, cfg)
	for _, sc := range scenarios {
		name := sc.file + "/" + sc.name
		if sc.resp3 {
			name += "/resp3"
		}
		want, got := rs.Addr, target
		if sc.file == diffLimitsFile {
			want, got = small.Addr, smallTarget
		}
		t.Run(name, func(t *testing.T) { runScenario(t, sc, want, got) })
	}
}

func TestSplitArgs(t *testing.T) {
	cases := map[string][]string{
		`SET k v`:                  {"SET", "k", "v"},
		`SET "a b" 'c d'`:          {"SET", "a b", "c d"},
		`SET "\x00\xff\n" 'it\'s'`: {"SET", "\x00\xff\n", "it's"},
		`GET ""`:                   {"GET", ""},
	}
	for in, want := range cases {
		got, err := splitArgs(in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := splitArgs(`GET "abc`); err == nil {
		t.Error("unbalanced quotes accepted")
	}
}

// TestSameReply checks the comparison modes, so a difference cannot slip
// through the harness unnoticed.
func TestSameReply(t *testing.T) {
	arr := func(xs ...string) reply {
		r := reply{kind: '*'}
		for _, x := range xs {
			r.elems = append(r.elems, reply{kind: '$', str: x})
		}
		return r
	}
	num := func(s string) reply { return reply{kind: ':', str: s} }
	cases := []struct {
		mode       string
		approx     int64
		want, got  reply
		shouldSame bool
	}{
		{"", 0, arr("a", "b"), arr("b", "a"), false},
		{"sorted", 0, arr("a", "b"), arr("b", "a"), true},
		{"sorted", 0, arr("a", "b"), arr("a", "c"), false},
		{"approx", 1, num("100"), num("99"), true},
		{"approx", 1, num("100"), num("98"), false},
		{"kind", 0, num("1"), num("2"), true},
		{"kind", 0, num("1"), reply{kind: '$', str: "1"}, false},
		{"", 0, reply{kind: '$', null: true}, reply{kind: '_', null: true}, false},
		{"", 0, reply{kind: '-', str: "ERR a"}, reply{kind: '-', str: "ERR b"}, false},
	}
	for i, tc := range cases {
		if got := sameReply(tc.mode, tc.approx, tc.want, tc.got); got != tc.shouldSame {
			t.Errorf("case %d: sameReply(%q, %v, %v) = %v", i, tc.mode, tc.want, tc.got, got)
		}
	}
}
