package redistest

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// QuietGoRedis drops go-redis's own log lines ("pool.go: failed to dial
// after 1 attempts …") for the whole test process: tests that stop servers
// on purpose make its pool log every refused redial, and the lines carry no
// test name. go-redis's logger is process-global, so call this once, from
// TestMain, before m.Run.
func QuietGoRedis() { redis.SetLogger(discardLogger{}) }

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}
