package client

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"
)

var (
	// ErrNotFound means neither the cluster nor the origin has the key.
	ErrNotFound = errors.New("ringcache: not found")
	// ErrClosed is returned by calls on a closed Client.
	ErrClosed = errors.New("ringcache: client closed")
	// ErrOriginUnavailable wraps origin failures (including an open
	// breaker) when no stale value could be served.
	ErrOriginUnavailable = errors.New("ringcache: origin unavailable")
	// ErrNodeUnavailable is returned by writes when the owner node cannot
	// be reached (its breaker is open or the call failed).
	ErrNodeUnavailable = errors.New("ringcache: node unavailable")
)

// isBusy recognises the refusals after which the same node may serve the
// same command moments later, which did not run it: -TRYAGAIN (a slot
// settling after a ring change, or a hand-off not ready) and -CLUSTERDOWN
// (a node that joined but does not serve yet, or lost its lease).
func isBusy(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "TRYAGAIN") || strings.HasPrefix(msg, "CLUSTERDOWN")
}

// busyRetries bounds retryBusy: 5 attempts, 10+20+40+80 ms of backoff,
// about the time a joining node takes to serve (docs/client.md).
const busyRetries = 4

// retryBusy runs fn again while it fails with isBusy, backing off from
// 10 ms, at most busyRetries times and never past ctx.
func retryBusy(ctx context.Context, fn func() error) error {
	delay := 10 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt == busyRetries || !isBusy(err) {
			return err
		}
		if ctxsleep.Sleep(ctx, delay) != nil {
			return err
		}
		delay *= 2
	}
}

// isRedirect recognises the errors a node answers when it does not own a
// slot, or while views disagree: -MOVED, -ASK, -TRYAGAIN, -CLUSTERDOWN.
func isRedirect(err error) bool {
	msg := err.Error()
	for _, p := range []string{"MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
