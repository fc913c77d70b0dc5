package resp

import "errors"

// ProtocolError is malformed input. For a Reader the server writes
// "-" + Error() + "\r\n" and closes the connection, as Redis does.
type ProtocolError struct {
	Msg string // e.g. "invalid bulk length"
}

// Error returns "ERR Protocol error: " + Msg, Redis's reply text.
func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.Msg }

// The messages of the ProtocolErrors a Reader returns, exactly Redis 7.0's.
// "expected '$', got 'x'" carries the offending byte and has no constant.
const (
	MsgTooBigInline        = "too big inline request"
	MsgUnbalancedQuotes    = "unbalanced quotes in request"
	MsgTooBigMbulkCount    = "too big mbulk count string"
	MsgInvalidMultibulkLen = "invalid multibulk length"
	MsgTooBigBulkCount     = "too big bulk count string"
	MsgInvalidBulkLen      = "invalid bulk length"
	MsgUnauthMultibulkLen  = "unauthenticated multibulk length"
	MsgUnauthBulkLen       = "unauthenticated bulk length"
)

// ErrQueryBufferLimit is returned when one command needs more than
// MaxQueryBuffer bytes. Redis closes such a client without a reply.
var ErrQueryBufferLimit = errors.New("resp: client query buffer limit reached")

func protoErr(msg string) error { return &ProtocolError{Msg: msg} }

// IsProtocolError reports whether err is (or wraps) a *ProtocolError.
func IsProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}
