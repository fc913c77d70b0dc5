package cacheserver

import (
	"errors"
	"strings"
	"sync"

	"github.com/ringcache/ringcache/internal/store"
)

// Redis error texts used by more than one command. Every error reply goes
// through conn.replyErrString, which counts it in INFO errorstats.
const (
	syntaxErr       = "ERR syntax error"
	notIntegerErr   = "ERR value is not an integer or out of range"
	notFloatErr     = "ERR value is not a valid float"
	overflowErr     = "ERR increment or decrement would overflow"
	nanOrInfErr     = "ERR increment would produce NaN or Infinity"
	maxSizeErr      = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	wrongTypeErr    = "WRONGTYPE Operation against a key holding the wrong kind of value"
	oomErr          = "OOM command not allowed when used memory > 'maxmemory'."
	crossSlotErr    = "CROSSSLOT Keys in request don't hash to the same slot"
	noAuthErr       = "NOAUTH Authentication required."
	wrongPassErr    = "WRONGPASS invalid username-password pair or user is disabled."
	maxClientsErr   = "ERR max number of clients reached"
	dbIndexErr      = "ERR DB index is out of range"
	execAbortErr    = "EXECABORT Transaction discarded because of previous errors."
	nestedMultiErr  = "ERR MULTI calls can not be nested"
	execNoMultiErr  = "ERR EXEC without MULTI"
	discardNoMulti  = "ERR DISCARD without MULTI"
	watchInMultiErr = "ERR WATCH inside MULTI is not allowed"
	noPassSetErr    = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
)

// arityErr returns Redis's wrong-number-of-arguments error for a command.
func arityErr(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// storeErrText maps a store error to Redis's exact error text: the one place
// where the mapping lives.
func storeErrText(err error) string {
	switch {
	case errors.Is(err, store.ErrNotInteger):
		return notIntegerErr
	case errors.Is(err, store.ErrNotFloat):
		return notFloatErr
	case errors.Is(err, store.ErrOverflow):
		return overflowErr
	case errors.Is(err, store.ErrNaNOrInf):
		return nanOrInfErr
	case errors.Is(err, store.ErrMaxSize):
		return maxSizeErr
	case errors.Is(err, store.ErrOOM):
		return oomErr
	case errors.Is(err, store.ErrCrossSlot):
		return crossSlotErr
	}
	s := err.Error()
	if s == "" || !isUpperPrefix(s) {
		return "ERR " + s
	}
	return s
}

// isUpperPrefix reports whether s starts with an upper-case error code word.
func isUpperPrefix(s string) bool {
	i := strings.IndexByte(s, ' ')
	if i <= 0 {
		return false
	}
	for _, ch := range s[:i] {
		if ch < 'A' || ch > 'Z' {
			return false
		}
	}
	return true
}

// replyErr replies err with Redis's text (see storeErrText).
func (c *conn) replyErr(err error) {
	c.replyErrString(storeErrText(err))
}

// replyErrString replies the error text s ("ERR ...", "WRONGTYPE ...") and
// counts it in errorstats.
func (c *conn) replyErrString(s string) {
	c.errReplies++
	c.srv.errStats.add(s)
	c.w.WriteError(s)
}

// reject replies a command rejected before it ran (unknown, arity, auth,
// queue-time errors); inside MULTI it makes EXEC fail with EXECABORT.
func (c *conn) reject(s string) {
	c.countRejected()
	c.replyErrString(s)
	if c.multi != nil {
		c.multi.failed = true
	}
}

// errorStats counts error replies by their first word, like Redis's
// errorstat_ERR:count=N.
type errorStats struct {
	mu     sync.Mutex
	counts map[string]int64
}

func (e *errorStats) add(s string) {
	code := s
	if i := strings.IndexByte(s, ' '); i > 0 {
		code = s[:i]
	}
	e.mu.Lock()
	if e.counts == nil {
		e.counts = make(map[string]int64)
	}
	if _, ok := e.counts[code]; ok || len(e.counts) < 128 {
		e.counts[code]++
	}
	e.mu.Unlock()
}

// snapshot copies the counts.
func (e *errorStats) snapshot() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.counts))
	for k, v := range e.counts {
		out[k] = v
	}
	return out
}

func (e *errorStats) reset() {
	e.mu.Lock()
	e.counts = nil
	e.mu.Unlock()
}
