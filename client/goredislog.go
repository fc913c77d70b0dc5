package client

import (
	"context"
	"fmt"
	"log/slog"
)

// GoRedisLogger adapts l to go-redis's logger, so that go-redis's own
// messages (failed dials, pool events) reach the SDK's slog output at Warn
// with source=go-redis. go-redis v9 has one logger per process
// (redis.SetLogger), not one per client, so New does not install it: a
// program calls redis.SetLogger(client.GoRedisLogger(cfg.Logger)) once,
// which also routes the messages of its other go-redis clients.
func GoRedisLogger(l *slog.Logger) *GoRedisLog {
	if l == nil {
		l = slog.Default()
	}
	return &GoRedisLog{l: l}
}

// GoRedisLog is go-redis's logging interface over a slog.Logger.
type GoRedisLog struct{ l *slog.Logger }

// Printf logs one go-redis message.
func (g *GoRedisLog) Printf(ctx context.Context, format string, v ...any) {
	g.l.WarnContext(ctx, fmt.Sprintf(format, v...), "source", "go-redis")
}
