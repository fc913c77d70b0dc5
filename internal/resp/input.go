package resp

import (
	"errors"
	"io"
)

// maxEmptyReads bounds consecutive (0, nil) reads before giving up, as bufio
// does.
const maxEmptyReads = 100

// input is the buffered byte source shared by Reader and ReplyReader. Unread
// bytes are buf[r:w]. It grows only when full and by at most doubling, so its
// size never exceeds twice what has actually arrived (or the default size).
type input struct {
	src  io.Reader
	buf  []byte
	r, w int
	err  error // a read error that came with data, returned by the next fill
}

func newInput(src io.Reader) input {
	return input{src: src, buf: make([]byte, defaultBufSize)}
}

// pending returns the unread bytes.
func (in *input) pending() []byte { return in.buf[in.r:in.w] }

// fill reads at least one more byte into the buffer, keeping buf[r:w]. Read
// errors are returned once, not kept (as bufio does), so a caller may retry
// after a timeout and go on where it stopped. need
// is how many bytes from r the caller knows it needs (0: unknown), a hint
// that avoids overshooting when growing; limit bounds the bytes kept from r.
func (in *input) fill(need int, limit int64) error {
	if err := in.err; err != nil {
		in.err = nil
		return err
	}
	if err := in.makeRoom(need, limit); err != nil {
		return err
	}
	for range maxEmptyReads {
		n, err := in.src.Read(in.buf[in.w:])
		in.w += n
		if n > 0 {
			in.err = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// makeRoom ensures free space after w: by moving buf[r:w] to the front, or
// by growing the buffer when it is full.
func (in *input) makeRoom(need int, limit int64) error {
	n := in.w - in.r
	if int64(n) >= limit {
		return ErrQueryBufferLimit
	}
	if in.w < len(in.buf) && (need <= len(in.buf)-in.r || in.r == 0) {
		return nil
	}
	if in.r > 0 {
		copy(in.buf, in.buf[in.r:in.w])
		in.r, in.w = 0, n
		if n < len(in.buf) {
			return nil
		}
	}
	size := max(2*len(in.buf), defaultBufSize)
	if need > n && need < size {
		size = need
	}
	size = int(min(int64(size), limit))
	buf := make([]byte, size)
	copy(buf, in.buf[:n])
	in.buf = buf
	return nil
}

// shrink drops a grown buffer for a default-sized one once what is left
// fits, so one large command does not pin its memory. It reports whether it
// did.
func (in *input) shrink() bool {
	n := in.w - in.r
	if len(in.buf) <= defaultBufSize || n > defaultBufSize/2 {
		return false
	}
	buf := make([]byte, defaultBufSize)
	copy(buf, in.buf[in.r:in.w])
	in.buf, in.r, in.w = buf, 0, n
	return true
}

// eofError turns a read error met in the middle of a message into
// io.ErrUnexpectedEOF; between messages io.EOF stays io.EOF.
func (in *input) eofError(err error, started bool) error {
	if started && errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
