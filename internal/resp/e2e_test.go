package resp

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// miniServer is a tiny key-value server on the codec, on real TCP: enough
// for redis-benchmark and redis-cli. It flushes once per pipelined batch.
type miniServer struct {
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	data     map[string][]byte
	conns    map[net.Conn]struct{}
	commands atomic.Int64
	flushes  atomic.Int64
}

func startMini(t *testing.T) *miniServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &miniServer{ln: ln, data: map[string][]byte{}, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *miniServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *miniServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *miniServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	r, w := NewReader(c, DefaultReaderConfig()), NewWriter(c)
	for {
		args, err := r.ReadCommand()
		var pe *ProtocolError
		if errors.As(err, &pe) {
			w.WriteError(pe.Error())
		}
		if err != nil {
			_ = w.Flush()
			return
		}
		s.commands.Add(1)
		s.execute(w, args)
		if r.Buffered() == 0 {
			s.flushes.Add(1)
			if w.Flush() != nil {
				return
			}
		}
	}
}

func (s *miniServer) execute(w *Writer, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch name := strings.ToUpper(string(args[0])); {
	case name == "PING":
		w.WriteSimple("PONG")
	case name == "SET" && len(args) == 3:
		s.data[string(args[1])] = append([]byte(nil), args[2]...)
		w.WriteSimple("OK")
	case name == "GET" && len(args) == 2:
		if v, ok := s.data[string(args[1])]; ok {
			w.WriteBulk(v)
		} else {
			w.WriteNull()
		}
	case name == "CONFIG":
		w.WriteArray(0)
	case name == "HELLO" && len(args) == 2 && string(args[1]) == "3":
		w.SetProtocol(3)
		w.WriteMap(1)
		w.WriteBulkString("proto")
		w.WriteInt(3)
	case name == "TYPES":
		writeAllTypes(w)
	default:
		w.WriteError("ERR unknown command '" + string(args[0]) + "'")
	}
}

func writeAllTypes(w *Writer) {
	// No big number: redis-cli 7.0 cannot print one ("Unknown reply type").
	w.WriteArray(8)
	w.WriteDouble(1.5)
	w.WriteBool(true)
	w.WriteNull()
	w.WriteVerbatim("txt", "verbatim text")
	w.WriteMap(1)
	w.WriteBulkString("k")
	w.WriteInt(7)
	w.WriteSet(1)
	w.WriteSimple("member")
	w.WriteDouble(0.1)
	w.WriteError("ERR nested")
}

// TestRedisBenchmarkPipelined drives the codec with redis-benchmark over
// TCP, pipelined: every request is answered, with one write per batch.
func TestRedisBenchmarkPipelined(t *testing.T) {
	bin := redistest.Binary(t, "redis-benchmark")
	s := startMini(t)
	port := s.ln.Addr().(*net.TCPAddr).Port
	out, err := exec.Command(bin, "-h", "127.0.0.1", "-p", itoa(port), "-t", "set,get",
		"-n", "20000", "-c", "4", "-P", "16", "-d", "100", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SET:") || !strings.Contains(string(out), "GET:") {
		t.Fatalf("redis-benchmark output:\n%s", out)
	}
	cmds, flushes := s.commands.Load(), s.flushes.Load()
	if cmds < 40000 {
		t.Fatalf("%d commands served, want >= 40000", cmds)
	}
	if flushes*4 > cmds {
		t.Fatalf("%d flushes for %d pipelined commands: not one per batch", flushes, cmds)
	}
	t.Logf("%d commands in %d flushes", cmds, flushes)
}

// TestRedisCliReadsRESP3 has redis-cli (hiredis) parse every RESP3 reply
// type we write, after HELLO 3.
func TestRedisCliReadsRESP3(t *testing.T) {
	bin := redistest.Binary(t, "redis-cli")
	s := startMini(t)
	port := s.ln.Addr().(*net.TCPAddr).Port
	out, err := exec.Command(bin, "--no-raw", "-3", "-h", "127.0.0.1", "-p", itoa(port), "TYPES").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v\n%s", err, out)
	}
	for _, want := range []string{"(double) 1.5", "(true)", "(nil)",
		"verbatim text", `"k" => (integer) 7`, "1~ member", "(double) 0.10000000000000001", "(error) ERR nested"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("redis-cli output lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(bin, "--no-raw", "-h", "127.0.0.1", "-p", itoa(port), "TYPES").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"1.5"`) || !strings.Contains(string(out), "(integer) 1") {
		t.Errorf("RESP2 TYPES: %v\n%s", err, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
