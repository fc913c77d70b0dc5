package resp

import (
	"github.com/ringcache/ringcache/internal/rstrconv"

	"bytes"
	"io"
	"strconv"
)

// maxReplyDepth bounds the nesting of aggregates that Read builds into a
// Value tree (ReadRaw is iterative and needs no bound).
const maxReplyDepth = 512

// ReplyReader reads server replies, RESP2 and RESP3, on the client side
// (tests, the cluster forwarder, benchmarks). It is bounded like Reader: a
// length header above the configured limits is an error before any body is
// read, and memory grows only with bytes that have actually arrived. It is
// not safe for concurrent use.
type ReplyReader struct {
	in  input
	cfg ReaderConfig
	err error // sticky protocol or read error
}

// NewReplyReader returns a ReplyReader over r. MaxBulkLen bounds bulk
// strings and simple lines, MaxMultibulkLen aggregate counts, MaxInlineLen
// length headers, and MaxQueryBuffer the buffer; Unauthenticated is ignored.
func NewReplyReader(r io.Reader, cfg ReaderConfig) *ReplyReader {
	return &ReplyReader{in: newInput(r), cfg: cfg.sanitize()}
}

// Buffered returns how many bytes are buffered and not yet read.
func (r *ReplyReader) Buffered() int { return r.in.w - r.in.r }

// ReadRaw appends the bytes of exactly one complete reply to dst: any RESP2
// or RESP3 type, aggregates with all their elements, attributes ('|') with
// the reply they precede, push ('>') messages. The bytes are checked as they
// are copied, so dst can be forwarded verbatim.
func (r *ReplyReader) ReadRaw(dst []byte) ([]byte, error) {
	if r.err != nil {
		return dst, r.err
	}
	dst, err := r.readRaw(dst)
	if err != nil {
		r.err = err
	}
	return dst, err
}

func (r *ReplyReader) readRaw(dst []byte) ([]byte, error) {
	for remaining, first := int64(1), true; remaining > 0; first = false {
		line, err := r.readLine(!first)
		if err != nil {
			return dst, err
		}
		typ := line[0]
		n, err := r.checkHeader(line)
		if err != nil {
			return dst, err
		}
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
		switch {
		case isBlob(typ) && n >= 0:
			start := len(dst)
			if dst, err = r.copyBody(dst, n); err != nil {
				return dst, err
			}
			if typ == '=' && dst[start+3] != ':' {
				return dst, protoErr("invalid verbatim string")
			}
			remaining--
		case typ == '|':
			remaining += 2 * n
		case typ == '%' && n > 0:
			remaining += 2*n - 1
		case isAggregate(typ) && n > 0:
			remaining += n - 1
		default:
			remaining--
		}
	}
	return dst, nil
}

func isBlob(t byte) bool      { return t == '$' || t == '!' || t == '=' }
func isAggregate(t byte) bool { return t == '*' || t == '~' || t == '>' || t == '%' || t == '|' }

// checkHeader validates a reply line and returns the length or count it
// carries (-1 for a null, 0 for lines without one).
func (r *ReplyReader) checkHeader(line []byte) (int64, error) {
	typ, body := line[0], line[1:]
	switch typ {
	case '+', '-', '(':
		return 0, nil
	case ':':
		if _, ok := rstrconv.ParseInt(body); !ok {
			return 0, protoErr("invalid integer reply " + strconv.Quote(string(body)))
		}
		return 0, nil
	case '_':
		if len(body) != 0 {
			return 0, protoErr("invalid null reply")
		}
		return 0, nil
	case ',':
		if _, ok := parseDouble(body); !ok {
			return 0, protoErr("invalid double reply " + strconv.Quote(string(body)))
		}
		return 0, nil
	case '#':
		if len(body) != 1 || (body[0] != 't' && body[0] != 'f') {
			return 0, protoErr("invalid boolean reply")
		}
		return 0, nil
	}
	return r.checkLength(typ, body)
}

func (r *ReplyReader) checkLength(typ byte, body []byte) (int64, error) {
	n, ok := rstrconv.ParseInt(body)
	nullable := typ == '$' || typ == '*'
	switch {
	case isBlob(typ):
		if !ok || n < -1 || (n == -1 && !nullable) || n > r.cfg.MaxBulkLen {
			return 0, protoErr(MsgInvalidBulkLen)
		}
		if typ == '=' && n >= 0 && n < 4 {
			return 0, protoErr(MsgInvalidBulkLen)
		}
	case isAggregate(typ):
		if !ok || n < -1 || (n == -1 && !nullable) || n > r.cfg.MaxMultibulkLen {
			return 0, protoErr(MsgInvalidMultibulkLen)
		}
	default:
		return 0, protoErr("unexpected reply type " + strconv.QuoteRune(rune(typ)))
	}
	return n, nil
}

// readLine returns the next line without its "\r\n", consumed. The slice
// aliases the buffer until the next read. started tells whether a reply is
// under way (for io.ErrUnexpectedEOF).
func (r *ReplyReader) readLine(started bool) ([]byte, error) {
	for from := 0; ; {
		p := r.in.pending()
		if i := bytes.IndexByte(p[from:], '\n'); i >= 0 {
			end := from + i
			if end == 0 || p[end-1] != '\r' || end == 1 {
				return nil, protoErr("invalid reply line " + strconv.Quote(string(p[:min(end+1, 32)])))
			}
			r.in.r += end + 1
			return p[:end-1], nil
		}
		from = len(p)
		if int64(len(p)) > r.cfg.MaxBulkLen+2 {
			return nil, protoErr("reply line too long")
		}
		if err := r.in.fill(0, r.cfg.MaxQueryBuffer); err != nil {
			return nil, r.in.eofError(err, started || len(p) > 0)
		}
	}
}

// copyBody appends an n-byte blob body and its "\r\n" to dst, reading as
// needed, without ever holding more than a buffer of it.
func (r *ReplyReader) copyBody(dst []byte, n int64) ([]byte, error) {
	for n > 0 {
		if r.in.r == r.in.w {
			if err := r.in.fill(0, r.cfg.MaxQueryBuffer); err != nil {
				return dst, r.in.eofError(err, true)
			}
		}
		p := r.in.pending()
		k := int(min(int64(len(p)), n))
		dst = append(dst, p[:k]...)
		r.in.r += k
		n -= int64(k)
	}
	for r.in.w-r.in.r < 2 {
		if err := r.in.fill(2, r.cfg.MaxQueryBuffer); err != nil {
			return dst, r.in.eofError(err, true)
		}
	}
	if p := r.in.pending(); p[0] != '\r' || p[1] != '\n' {
		return dst, protoErr("bulk string not followed by CRLF")
	}
	r.in.r += 2
	return append(dst, '\r', '\n'), nil
}

// parseDouble accepts what Redis writes: decimal and exponent forms, "inf",
// "-inf" and "nan" (any case, as strconv does).
func parseDouble(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}
