package resp

import (
	"github.com/ringcache/ringcache/internal/rstrconv"

	"bytes"
	"errors"
	"io"
)

// Reader parses client requests: RESP multibulk and inline (telnet)
// commands, several per read when the client pipelines. A Reader is not safe
// for concurrent use.
type Reader struct {
	in  input
	cfg ReaderConfig
	err error // sticky: a protocol error ends the stream

	// The command being parsed. Offsets are relative to in.r, the start of
	// the command, so they survive the buffer moving or growing.
	inMulti bool
	pos     int   // next unparsed byte
	left    int64 // bulk strings still to read
	bulk    int64 // length of the bulk being read, -1 before its header
	spans   []span
	args    [][]byte
}

type span struct{ start, end int }

// NewReader returns a Reader over r. Fields of cfg out of range are replaced
// by their defaults; use cfg.Validate to report them.
func NewReader(r io.Reader, cfg ReaderConfig) *Reader {
	return &Reader{in: newInput(r), cfg: cfg.sanitize(), bulk: -1}
}

// SetConfig replaces the limits (CONFIG SET, or after AUTH). It applies from
// the next header parsed.
func (r *Reader) SetConfig(cfg ReaderConfig) { r.cfg = cfg.sanitize() }

// Config returns the limits in force.
func (r *Reader) Config() ReaderConfig { return r.cfg }

// Buffered returns how many bytes are buffered and not yet returned as
// commands. A server flushes its replies when it is 0, so a pipelined batch
// is answered with one write.
func (r *Reader) Buffered() int { return r.in.w - r.in.r }

// BufferSize returns the size of the read buffer, the memory the reader
// holds for its input (client memory accounting).
func (r *Reader) BufferSize() int { return len(r.in.buf) }

// ReadCommand returns the next command's arguments (never empty). The slices
// alias the reader's buffer and are valid only until the next call. Empty
// inline lines and multibulk headers <= 0 (`*0`, `*-1`, `*-10`) are skipped
// as Redis skips them. Errors: a *ProtocolError (write it and close; it is
// returned again by every later call), ErrQueryBufferLimit (close without a
// reply; also sticky), io.EOF between commands, io.ErrUnexpectedEOF within
// one, or the underlying read error, returned once: after a read timeout a
// later call resumes the command where it stopped.
func (r *Reader) ReadCommand() ([][]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.inMulti {
		r.shrink()
	}
	for {
		args, need, err := r.parse()
		if err != nil {
			r.err = err
			return nil, err
		}
		if args != nil {
			return args, nil
		}
		if need < 0 {
			continue // a skipped empty command
		}
		if err := r.in.fill(need, r.cfg.MaxQueryBuffer); err != nil {
			return nil, r.readError(err)
		}
	}
}

// shrink returns the memory of a large command once it has been handled:
// the grown buffer, and argument slices longer than the preallocation
// bound (cleared, so they do not keep the old buffer alive).
func (r *Reader) shrink() {
	if r.in.shrink() {
		clear(r.args[:cap(r.args)])
	}
	if cap(r.spans) > 4*maxPrealloc {
		r.spans, r.args = nil, nil
	}
}

func (r *Reader) readError(err error) error {
	started := r.inMulti || r.in.w > r.in.r
	err = r.in.eofError(err, started)
	if errors.Is(err, ErrQueryBufferLimit) {
		r.err = err
	}
	return err
}

// parse parses what is buffered. It returns the arguments of a complete
// command; or need < 0 when an empty command was consumed; or need >= 0 (the
// bytes from the command start known to be needed, 0 if unknown) when more
// input is required.
func (r *Reader) parse() (args [][]byte, need int, err error) {
	if !r.inMulti {
		if r.in.r == r.in.w {
			return nil, 0, nil
		}
		if r.in.buf[r.in.r] != '*' {
			return r.parseInline()
		}
		if need, err := r.parseMultibulkHeader(); need != -1 || err != nil {
			return nil, need, err
		}
		if !r.inMulti {
			return nil, -1, nil
		}
	}
	return r.parseBulks()
}

// line finds the '\r' ending the header line that starts at offset from,
// as Redis does (strchr for '\r', then two bytes skipped). It returns the
// offset of the '\r', or -1 when more input is needed; tooBig is the error
// for an unterminated line over MaxInlineLen.
func (r *Reader) line(from int, tooBig string) (int, error) {
	p := r.in.pending()[from:]
	i := strchr(p, '\r')
	if tooLong(i, len(p), r.cfg.MaxInlineLen) {
		return -1, protoErr(tooBig)
	}
	if i < 0 {
		return -1, nil
	}
	if i+2 > len(p) {
		return -1, nil
	}
	return from + i, nil
}

// parseMultibulkHeader parses `*N\r\n`. need is -1 when the header was
// consumed (inMulti reports whether bulks follow), else as in parse.
func (r *Reader) parseMultibulkHeader() (need int, err error) {
	cr, err := r.line(0, MsgTooBigMbulkCount)
	if cr < 0 {
		return 0, err
	}
	p := r.in.pending()
	n, ok := rstrconv.ParseInt(p[1:cr])
	if !ok || n > r.cfg.MaxMultibulkLen {
		return 0, protoErr(MsgInvalidMultibulkLen)
	}
	if n > UnauthenticatedMaxMultibulkLen && r.cfg.Unauthenticated {
		return 0, protoErr(MsgUnauthMultibulkLen)
	}
	if n <= 0 {
		r.in.r += cr + 2
		return -1, nil
	}
	r.inMulti, r.pos, r.left, r.bulk = true, cr+2, n, -1
	r.spans = r.spans[:0]
	if cap(r.spans) < int(min(n, maxPrealloc)) {
		r.spans = make([]span, 0, min(n, maxPrealloc))
	}
	return -1, nil
}

// parseBulks parses `$len\r\nbody\r\n` until the command is complete or
// the input runs out.
func (r *Reader) parseBulks() (args [][]byte, need int, err error) {
	for r.left > 0 {
		if r.bulk < 0 {
			if ok, err := r.parseBulkHeader(); !ok {
				return nil, 0, err
			}
		}
		end := int64(r.pos) + r.bulk + 2
		if end > int64(r.in.w-r.in.r) {
			return nil, int(end), nil
		}
		r.spans = append(r.spans, span{r.pos, r.pos + int(r.bulk)})
		r.pos, r.bulk = int(end), -1
		r.left--
	}
	return r.finish(), 0, nil
}

func (r *Reader) parseBulkHeader() (bool, error) {
	cr, err := r.line(r.pos, MsgTooBigBulkCount)
	if cr < 0 {
		return false, err
	}
	p := r.in.pending()
	if c := p[r.pos]; c != '$' {
		return false, expectedDollar(c)
	}
	n, ok := rstrconv.ParseInt(p[r.pos+1 : cr])
	if !ok || n < 0 || n > r.cfg.MaxBulkLen {
		return false, protoErr(MsgInvalidBulkLen)
	}
	if n > UnauthenticatedMaxBulkLen && r.cfg.Unauthenticated {
		return false, protoErr(MsgUnauthBulkLen)
	}
	r.pos, r.bulk = cr+2, n
	return true, nil
}

// expectedDollar builds Redis's "expected '$', got 'c'" text, including its
// quirks: CR and LF are replaced by spaces, and a NUL byte truncates the
// message (Redis formats it with %c into a C string).
func expectedDollar(c byte) error {
	switch c {
	case 0:
		return protoErr("expected '$', got '")
	case '\r', '\n':
		c = ' '
	}
	return protoErr("expected '$', got '" + string(rune(c)) + "'")
}

// finish turns the spans into argument slices and consumes the command.
func (r *Reader) finish() [][]byte {
	base := r.in.buf[r.in.r:]
	r.args = r.args[:0]
	for _, s := range r.spans {
		r.args = append(r.args, base[s.start:s.end:s.end])
	}
	r.in.r += r.pos
	r.inMulti, r.pos = false, 0
	return r.args
}

// parseInline parses one inline line (ending in '\n', an optional '\r'
// before it stripped), splitting it in place with sdssplitargs's rules.
func (r *Reader) parseInline() (args [][]byte, need int, err error) {
	p := r.in.pending()
	nl := strchr(p, '\n')
	if tooLong(nl, len(p), r.cfg.MaxInlineLen) {
		return nil, 0, protoErr(MsgTooBigInline)
	}
	if nl < 0 {
		return nil, 0, nil
	}
	line := p[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	r.args, err = splitArgs(r.args[:0], line)
	if err != nil {
		return nil, 0, err
	}
	r.in.r += nl + 1
	if len(r.args) == 0 {
		return nil, -1, nil
	}
	return r.args, 0, nil
}

// strchr returns the index of the first c in p, or -1 when there is none
// or a NUL byte comes first: Redis 7.0 searches its query buffer with C's
// strchr, so a NUL before the line end hides it, and the client waits until
// the "too big" limit. Emulated so that every input gets Redis's answer.
func strchr(p []byte, c byte) int {
	// Header lines are short: a plain loop beats two IndexByte calls there.
	for i, b := range p[:min(len(p), 24)] {
		switch b {
		case c:
			return i
		case 0:
			return -1
		}
	}
	if len(p) <= 24 {
		return -1
	}
	i := bytes.IndexByte(p, c)
	if i < 0 || bytes.IndexByte(p[:i], 0) >= 0 {
		return -1
	}
	return i
}

// tooLong reports whether a line whose end is at index end (-1: not seen
// yet) in n buffered bytes is over limit. Redis checks only while the end
// has not arrived, so a longer line that arrives in one read gets through;
// checking the end's position too makes the answer independent of how the
// bytes were split into reads (a line is refused exactly when Redis, fed
// one byte at a time, would refuse it).
func tooLong(end, n, limit int) bool {
	if end < 0 {
		return n > limit
	}
	return end > limit
}
