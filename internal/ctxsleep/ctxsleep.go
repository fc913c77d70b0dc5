// Package ctxsleep waits for a duration unless a context ends first: the
// one cancellable sleep the server's fencing, the SDK's lease waits and
// the fault suite's scenario steps share. It imports only the standard
// library.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, and then returns ctx's error (nil
// when the full d passed).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
