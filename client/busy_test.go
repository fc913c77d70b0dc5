package client

import (
	"context"
	"errors"
	"testing"
)

// TestRetryBusy: TRYAGAIN and CLUSTERDOWN are retried a bounded number of
// times; any other error, or success, ends the retries at once.
func TestRetryBusy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		errs  []string // the error of each call, "" for success; the last repeats
		calls int
		fail  bool
	}{
		{"ok", []string{""}, 1, false},
		{"clusterdown then ok", []string{"CLUSTERDOWN The cluster is down", "TRYAGAIN x", ""}, 3, false},
		{"other error", []string{"ERR boom"}, 1, true},
		{"moved is not retried here", []string{"MOVED 1 127.0.0.1:1"}, 1, true},
		{"always busy", []string{"CLUSTERDOWN The cluster is down"}, busyRetries + 1, true},
	} {
		calls := 0
		err := retryBusy(ctx, func() error {
			e := tc.errs[min(calls, len(tc.errs)-1)]
			calls++
			if e == "" {
				return nil
			}
			return errors.New(e)
		})
		if calls != tc.calls || (err != nil) != tc.fail {
			t.Errorf("%s: %d calls, err %v; want %d calls, failure %v", tc.name, calls, err, tc.calls, tc.fail)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	calls := 0
	_ = retryBusy(cctx, func() error { calls++; return errors.New("TRYAGAIN") })
	if calls != 1 {
		t.Errorf("a cancelled context still retried: %d calls", calls)
	}
}
