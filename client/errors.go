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
