package store_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// measureEnv gates the long measurements: `RINGCACHE_MEASURE=1 go test -run
// TestMeasureXxx -v ./internal/store/`. Without it they skip, and only the
// small always-on harness checks run under `make test`.
const measureEnv = "RINGCACHE_MEASURE"

func requireMeasure(t *testing.T) {
	t.Helper()
	if os.Getenv(measureEnv) != "1" {
		t.Skipf("measurement: set %s=1 to run", measureEnv)
	}
}

// appendKey appends prefix followed by i as 12 zero-padded digits, like
// fmt's "%s%012d", without allocating.
func appendKey(dst []byte, prefix string, i uint64) []byte {
	dst = append(dst, prefix...)
	var d [12]byte
	for j := len(d) - 1; j >= 0; j-- {
		d[j] = byte('0' + i%10)
		i /= 10
	}
	return append(dst, d[:]...)
}

// fillValue writes a 100-byte-style value for key i into v (any length):
// the index in decimal, then a repeating pattern, so values differ.
func fillValue(v []byte, i uint64) {
	n := copy(v, strconv.AppendUint(v[:0:0], i, 10))
	for j := n; j < len(v); j++ {
		v[j] = byte('a' + j%26)
	}
}

// procStatusBytes reads a "kB" field such as VmRSS from /proc/<pid>/status
// ("self" for this process) and returns it in bytes.
func procStatusBytes(pid, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10, err
	}
	return 0, fmt.Errorf("%s not in /proc/%s/status", field, pid)
}

// readMetrics reads the named runtime/metrics samples.
func readMetrics(names ...string) []metrics.Sample {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	return s
}

// heapObjectsAfterGC runs a full GC and returns the bytes of live and
// not-yet-swept heap objects (/memory/classes/heap/objects:bytes).
func heapObjectsAfterGC() int64 {
	runtime.GC()
	return int64(readMetrics("/memory/classes/heap/objects:bytes")[0].Value.Uint64())
}

// respConn is a minimal RESP2 client for pipelining against redis-server:
// commands are buffered by send and written by flush; read returns one reply.
type respConn struct {
	c   net.Conn
	r   *bufio.Reader
	w   *bufio.Writer
	num []byte
}

func dialRESP(t testing.TB, addr string) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{c: c, r: bufio.NewReaderSize(c, 1<<16), w: bufio.NewWriterSize(c, 1<<16)}
}

// send buffers one command.
func (rc *respConn) send(args ...[]byte) {
	rc.header('*', len(args))
	for _, a := range args {
		rc.header('$', len(a))
		rc.w.Write(a)
		rc.w.WriteString("\r\n")
	}
}

func (rc *respConn) header(kind byte, n int) {
	rc.w.WriteByte(kind)
	rc.num = strconv.AppendInt(rc.num[:0], int64(n), 10)
	rc.w.Write(rc.num)
	rc.w.WriteString("\r\n")
}

func (rc *respConn) flush() error { return rc.w.Flush() }

// reply is one RESP2 reply: kind is '+', '-', ':', '$' or '*'; null is a
// nil bulk or array; data holds the line or bulk payload (valid until the
// next read); arrays are skipped with their elements.
type reply struct {
	kind byte
	null bool
	data []byte
	n    int64
}

func (rc *respConn) read() (reply, error) {
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 {
		return reply{}, fmt.Errorf("resp: short line %q", line)
	}
	rp := reply{kind: line[0], data: line[1 : len(line)-2]}
	switch rp.kind {
	case '+', '-':
		return rp, nil
	case ':', '$', '*':
		if rp.n, err = strconv.ParseInt(string(rp.data), 10, 64); err != nil {
			return rp, err
		}
	default:
		return rp, fmt.Errorf("resp: unexpected %q", line)
	}
	return rc.readBody(rp)
}

func (rc *respConn) readBody(rp reply) (reply, error) {
	rp.null = rp.n < 0 && rp.kind != ':'
	switch {
	case rp.kind == '$' && !rp.null:
		buf := make([]byte, rp.n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return rp, err
		}
		rp.data = buf[:rp.n]
	case rp.kind == '*':
		for i := int64(0); i < rp.n; i++ {
			if _, err := rc.read(); err != nil {
				return rp, err
			}
		}
	}
	return rp, nil
}

// do sends one command and returns its reply; an error reply is an error.
func (rc *respConn) do(args ...string) (reply, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	rc.send(bs...)
	if err := rc.flush(); err != nil {
		return reply{}, err
	}
	rp, err := rc.read()
	if err == nil && rp.kind == '-' {
		err = errors.New(string(rp.data))
	}
	return rp, err
}

// infoField returns one numeric field of INFO section.
func (rc *respConn) infoField(section, field string) (int64, error) {
	rp, err := rc.do("INFO", section)
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(rp.data, []byte("\r\n")) {
		if name, val, ok := bytes.Cut(line, []byte(":")); ok && string(name) == field {
			return strconv.ParseInt(string(val), 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO %s has no %s", section, field)
}

// loadRedis SETs keys [from, from+n) with prefix and valSize-byte values,
// pipelined in batches of 1000 over rc, reading each batch's replies before
// the next so that no reply piles up in the server's output buffer.
func loadRedis(rc *respConn, prefix string, from, n uint64, valSize int) error {
	set, key, val := []byte("SET"), make([]byte, 0, 32), make([]byte, valSize)
	for i := from; i < from+n; {
		batch := min(1000, from+n-i)
		for j := uint64(0); j < batch; j++ {
			key = appendKey(key[:0], prefix, i+j)
			fillValue(val, i+j)
			rc.send(set, key, val)
		}
		if err := rc.drain(int(batch)); err != nil {
			return err
		}
		i += batch
	}
	return nil
}

// drain flushes and reads n replies, failing on an error reply.
func (rc *respConn) drain(n int) error {
	if err := rc.flush(); err != nil {
		return err
	}
	for k := 0; k < n; k++ {
		rp, err := rc.read()
		if err != nil {
			return err
		}
		if rp.kind == '-' {
			return errors.New(string(rp.data))
		}
	}
	return nil
}
