// Package poll waits in tests for a condition to hold, checking it every few
// milliseconds until a deadline: the replacement for sleeping a guessed
// duration. It is test support and imports only the standard library.
package poll

import (
	"testing"
	"time"
)

// Interval is how often Until re-checks its condition.
const Interval = 2 * time.Millisecond

// Until calls cond until it returns true, failing tb if it has not within d.
// what names the awaited condition in the failure message.
func Until(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(Interval)
	}
}
