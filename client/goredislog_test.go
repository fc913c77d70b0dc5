package client

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestGoRedisLogger: a go-redis message logged through the adapter reaches
// the slog handler at Warn, marked as go-redis's.
func TestGoRedisLogger(t *testing.T) {
	var buf bytes.Buffer
	lg := GoRedisLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	lg.Printf(context.Background(), "redis: %s failed to dial", "127.0.0.1:1")
	out := buf.String()
	for _, want := range []string{"level=WARN", `msg="redis: 127.0.0.1:1 failed to dial"`, "source=go-redis"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log line %q lacks %q", out, want)
		}
	}
}

// go-redis's SetLogger accepts the adapter (compiled, never run here: the
// logger is process-wide).
var _ = func() { redis.SetLogger(GoRedisLogger(nil)) }
