package resp

import (
	"errors"
	"fmt"
	"math"
)

// Redis's defaults for the limits in ReaderConfig.
const (
	DefaultMaxBulkLen      = 512 << 20     // proto-max-bulk-len
	DefaultMaxMultibulkLen = math.MaxInt32 // Redis 7: INT_MAX
	DefaultMaxInlineLen    = 64 << 10      // PROTO_INLINE_MAX_SIZE
	DefaultMaxQueryBuffer  = 1 << 30       // client-query-buffer-limit

	// UnauthenticatedMaxMultibulkLen and UnauthenticatedMaxBulkLen are the
	// fixed limits Redis applies to clients that still have to AUTH.
	UnauthenticatedMaxMultibulkLen = 10
	UnauthenticatedMaxBulkLen      = 16384

	// defaultBufSize is the read buffer a Reader starts with and shrinks
	// back to after a large command.
	defaultBufSize = 16 << 10
	// maxPrealloc bounds the argument slice allocated on a multibulk
	// header, whatever the header says (Redis preallocates at most 1024).
	maxPrealloc = 1024
)

// ReaderConfig bounds what a Reader or ReplyReader accepts. The zero value is
// not useful: start from DefaultReaderConfig.
type ReaderConfig struct {
	// MaxBulkLen is the largest bulk string accepted, in bytes
	// (proto-max-bulk-len). It is checked on the `$len` header, before the
	// body is read. Default 512 MiB. Must be >= 1.
	MaxBulkLen int64
	// MaxMultibulkLen is the largest `*N` count accepted. Default INT_MAX
	// as Redis 7; whatever the header says, at most 1024 argument slots are
	// preallocated. Must be >= 1.
	MaxMultibulkLen int64
	// MaxInlineLen is the longest inline command line, and the longest `*N`
	// or `$len` header line, in bytes (PROTO_INLINE_MAX_SIZE). Default 64 KiB.
	// Must be >= 16.
	MaxInlineLen int
	// MaxQueryBuffer bounds the bytes buffered for one command
	// (client-query-buffer-limit); beyond it ReadCommand returns
	// ErrQueryBufferLimit and the server closes the client without a reply,
	// as Redis does. Default 1 GiB. Must be >= MaxInlineLen.
	MaxQueryBuffer int64
	// Unauthenticated applies Redis's limits for clients that have not
	// authenticated yet: more than 10 arguments gives "unauthenticated
	// multibulk length", a bulk longer than 16384 bytes "unauthenticated bulk
	// length". Default false; the server sets it on connections that must
	// AUTH and clears it with SetConfig afterwards. ReplyReader ignores it.
	Unauthenticated bool
}

// DefaultReaderConfig returns Redis 7.0's limits.
func DefaultReaderConfig() ReaderConfig {
	return ReaderConfig{
		MaxBulkLen:      DefaultMaxBulkLen,
		MaxMultibulkLen: DefaultMaxMultibulkLen,
		MaxInlineLen:    DefaultMaxInlineLen,
		MaxQueryBuffer:  DefaultMaxQueryBuffer,
	}
}

// ErrInvalidConfig wraps every error Validate returns.
var ErrInvalidConfig = errors.New("resp: invalid reader config")

// Validate reports the first field out of range.
func (c ReaderConfig) Validate() error {
	switch {
	case c.MaxBulkLen < 1:
		return fmt.Errorf("%w: MaxBulkLen %d < 1", ErrInvalidConfig, c.MaxBulkLen)
	case c.MaxMultibulkLen < 1:
		return fmt.Errorf("%w: MaxMultibulkLen %d < 1", ErrInvalidConfig, c.MaxMultibulkLen)
	case c.MaxInlineLen < 16:
		return fmt.Errorf("%w: MaxInlineLen %d < 16", ErrInvalidConfig, c.MaxInlineLen)
	case c.MaxQueryBuffer < int64(c.MaxInlineLen):
		return fmt.Errorf("%w: MaxQueryBuffer %d < MaxInlineLen %d", ErrInvalidConfig, c.MaxQueryBuffer, c.MaxInlineLen)
	}
	return nil
}

// sanitize replaces out-of-range fields with their defaults, so a Reader
// built from a bad config still enforces sane bounds (constructors do not
// return errors; call Validate to learn about them).
func (c ReaderConfig) sanitize() ReaderConfig {
	d := DefaultReaderConfig()
	if c.MaxBulkLen < 1 {
		c.MaxBulkLen = d.MaxBulkLen
	}
	if c.MaxMultibulkLen < 1 {
		c.MaxMultibulkLen = d.MaxMultibulkLen
	}
	if c.MaxInlineLen < 16 {
		c.MaxInlineLen = d.MaxInlineLen
	}
	if c.MaxQueryBuffer < int64(c.MaxInlineLen) {
		c.MaxQueryBuffer = max(d.MaxQueryBuffer, int64(c.MaxInlineLen))
	}
	return c
}
