package client

import (
	"errors"
	"strings"
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

// isMovedOrAsk recognises a -MOVED or -ASK redirection.
func isMovedOrAsk(err error) (slot, addr string, ok bool) {
	msg := err.Error()
	for _, p := range []string{"MOVED ", "ASK "} {
		if strings.HasPrefix(msg, p) {
			f := strings.Fields(msg)
			if len(f) == 3 {
				return f[1], f[2], true
			}
		}
	}
	return "", "", false
}

// isRetryable recognises the errors a cluster answers while views disagree.
func isRetryable(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "TRYAGAIN") || strings.HasPrefix(msg, "CLUSTERDOWN")
}
