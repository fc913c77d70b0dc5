package resp

import (
	"io"
	"math"
	"strconv"
)

// writerShrinkSize is the buffer capacity above which Flush drops the buffer
// for a fresh default-sized one, so one huge reply does not pin memory.
const writerShrinkSize = 256 << 10

// Writer builds replies in a buffer; nothing reaches the underlying writer
// until Flush. The protocol is RESP2 until SetProtocol(3). Methods never
// fail: errors surface on Flush. A Writer is not safe for concurrent use.
type Writer struct {
	dst   io.Writer
	buf   []byte
	proto int
}

// NewWriter returns a RESP2 Writer that flushes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{dst: w, buf: make([]byte, 0, defaultBufSize), proto: 2}
}

// SetProtocol selects RESP2 (2) or RESP3 (3); other values are ignored.
func (w *Writer) SetProtocol(v int) {
	if v == 2 || v == 3 {
		w.proto = v
	}
}

// Protocol returns 2 or 3.
func (w *Writer) Protocol() int { return w.proto }

// Buffered returns the number of bytes written since the last Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Cap returns the capacity of the reply buffer, the memory the writer holds
// (client memory accounting).
func (w *Writer) Cap() int { return cap(w.buf) }

// Bytes returns the buffered bytes (valid until the next write or Flush).
func (w *Writer) Bytes() []byte { return w.buf }

// Flush writes the buffered replies to the underlying writer. The buffer is
// emptied whether or not the write succeeds.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.dst.Write(w.buf)
	if cap(w.buf) > writerShrinkSize {
		w.buf = make([]byte, 0, defaultBufSize)
	} else {
		w.buf = w.buf[:0]
	}
	return err
}

// Reset discards buffered bytes and directs future flushes to dst.
func (w *Writer) Reset(dst io.Writer) {
	w.dst = dst
	w.buf = w.buf[:0]
	w.proto = 2
}

// WriteSimple writes a simple string "+s"; CR and LF in s become spaces.
func (w *Writer) WriteSimple(s string) {
	w.buf = append(w.buf, '+')
	w.appendLine(s)
}

// WriteError writes "-" + s, where s is the full text with its code, e.g.
// "ERR syntax error"; CR and LF in s become spaces, as Redis does.
func (w *Writer) WriteError(s string) {
	w.buf = append(w.buf, '-')
	w.appendLine(s)
}

func (w *Writer) appendLine(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, '\r', '\n')
}

// WriteInt writes an integer ":n".
func (w *Writer) WriteInt(n int64) { w.header(':', n) }

// WriteBulk writes a bulk string "$len\r\nb\r\n".
func (w *Writer) WriteBulk(b []byte) {
	w.header('$', int64(len(b)))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// WriteBulkString writes s as a bulk string.
func (w *Writer) WriteBulkString(s string) {
	w.header('$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// WriteNull writes a null: "$-1" in RESP2, "_" in RESP3.
func (w *Writer) WriteNull() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// WriteNullArray writes a null array: "*-1" in RESP2, "_" in RESP3.
func (w *Writer) WriteNullArray() {
	if w.proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

// WriteArray writes an array header "*n"; n elements must follow.
func (w *Writer) WriteArray(n int) { w.header('*', int64(n)) }

// WriteMap writes a map header of n pairs: "%n" in RESP3, "*2n" in RESP2;
// 2n elements (key, value, ...) must follow.
func (w *Writer) WriteMap(n int) {
	if w.proto == 3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', 2*int64(n))
}

// WriteSet writes a set header: "~n" in RESP3, "*n" in RESP2.
func (w *Writer) WriteSet(n int) { w.header(w.pick('~', '*'), int64(n)) }

// WritePush writes a push header: ">n" in RESP3, "*n" in RESP2 (as Redis
// sends pub/sub messages to RESP2 clients).
func (w *Writer) WritePush(n int) { w.header(w.pick('>', '*'), int64(n)) }

// WriteAttribute writes a RESP3 attribute header "|n" (n pairs follow, then
// the reply they describe). In RESP2 it writes nothing, and the caller must
// not write the pairs either.
func (w *Writer) WriteAttribute(n int) {
	if w.proto == 3 {
		w.header('|', int64(n))
	}
}

// WriteDouble writes a double: ",f" in RESP3, a bulk string in RESP2,
// formatted as Redis 7.0 does (printf "%.17g"; "inf", "-inf", "nan").
func (w *Writer) WriteDouble(f float64) {
	var tmp [32]byte
	s := AppendDouble(tmp[:0], f)
	if w.proto == 3 {
		w.buf = append(w.buf, ',')
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.WriteBulk(s)
}

// AppendDouble appends f formatted as Redis 7.0 formats doubles in replies
// (C's "%.17g", with "inf", "-inf" and "nan").
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// WriteBool writes "#t"/"#f" in RESP3, ":1"/":0" in RESP2.
func (w *Writer) WriteBool(b bool) {
	switch {
	case w.proto == 3 && b:
		w.buf = append(w.buf, "#t\r\n"...)
	case w.proto == 3:
		w.buf = append(w.buf, "#f\r\n"...)
	case b:
		w.buf = append(w.buf, ":1\r\n"...)
	default:
		w.buf = append(w.buf, ":0\r\n"...)
	}
}

// WriteVerbatim writes a verbatim string "=len\r\nfmt:s" in RESP3 (format is
// three bytes such as "txt" or "mkd"; any other length becomes "txt") and a
// bulk string of s in RESP2.
func (w *Writer) WriteVerbatim(format, s string) {
	if w.proto != 3 {
		w.WriteBulkString(s)
		return
	}
	if len(format) != 3 {
		format = "txt"
	}
	w.header('=', int64(len(s)+4))
	w.buf = append(w.buf, format...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// WriteBigNumber writes "(s" in RESP3 and a bulk string in RESP2; s must be
// a decimal integer.
func (w *Writer) WriteBigNumber(s string) {
	if w.proto != 3 {
		w.WriteBulkString(s)
		return
	}
	w.buf = append(w.buf, '(')
	w.appendLine(s)
}

// WriteRaw appends b unchanged (a forwarded reply, already encoded).
func (w *Writer) WriteRaw(b []byte) { w.buf = append(w.buf, b...) }

func (w *Writer) pick(resp3, resp2 byte) byte {
	if w.proto == 3 {
		return resp3
	}
	return resp2
}

func (w *Writer) header(prefix byte, n int64) {
	w.buf = append(w.buf, prefix)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}
