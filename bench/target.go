package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
)

// Outcome is what a Target observed for one operation.
type Outcome uint8

// Outcomes. Reads report Hit or Miss as the server answered; writes report
// OK. A read-modify-write reports the outcome of its read.
const (
	OK Outcome = iota
	Hit
	Miss
)

// Target executes operations against a system under test. Do may be called
// by many goroutines at once (one per worker); it must honour ctx and return
// an error for anything but a hit, a miss or a successful write. Close
// releases connections; it is called once, after every Do has returned.
type Target interface {
	Do(ctx context.Context, op *Op) (Outcome, error)
	Close() error
}

// Loader is implemented by targets that can bulk-load records faster than
// one Do per record (pipelining). Load writes records [from, to).
type Loader interface {
	Load(ctx context.Context, g *Generator, from, to int64) error
}

// Describer is implemented by targets that can name themselves and their
// nodes for results and server-side metrics.
type Describer interface {
	Info() TargetInfo
}

// TierReporter is implemented by targets with several cache tiers (the
// ringcache SDK: L1, cluster, origin). Tiers is called once after a run and
// returns cumulative counters since the target was created; the harness
// subtracts the value it read before the run.
type TierReporter interface {
	Tiers() []TierStats
}

// TargetFunc adapts a function to Target (Close does nothing); tests use it
// for fake targets.
type TargetFunc func(ctx context.Context, op *Op) (Outcome, error)

// Do implements Target.
func (f TargetFunc) Do(ctx context.Context, op *Op) (Outcome, error) { return f(ctx, op) }

// Close implements Target.
func (TargetFunc) Close() error { return nil }

var _ Target = TargetFunc(nil)

// ErrorKind classifies an error for the per-kind error counts: "timeout",
// "canceled", "conn" (refused, reset, closed), a RESP error prefix such as
// "ERR", "OOM" or "MOVED", or "other".
func ErrorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne), errors.Is(err, net.ErrClosed):
		return "conn"
	}
	var re interface{ RedisError() }
	if errors.As(err, &re) {
		prefix, _, _ := strings.Cut(err.Error(), " ")
		return prefix
	}
	msg := err.Error()
	if strings.Contains(msg, "connection") || strings.Contains(msg, "EOF") || strings.Contains(msg, "broken pipe") {
		return "conn"
	}
	return "other"
}
