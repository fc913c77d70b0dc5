package membership

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// slogWriter adapts serf's and memberlist's *log.Logger output ("[WARN]
// memberlist: ...") to slog records at the matching level.
type slogWriter struct {
	logger *slog.Logger
}

func newStdLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l}, "", 0)
}

func (w slogWriter) Write(p []byte) (int, error) {
	msg := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, lv := range []struct {
		tag   string
		level slog.Level
	}{{"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo}, {"[WARN]", slog.LevelWarn}, {"[ERR]", slog.LevelError}} {
		if bytes.HasPrefix(msg, []byte(lv.tag)) {
			level, msg = lv.level, bytes.TrimSpace(msg[len(lv.tag):])
			break
		}
	}
	w.logger.Log(context.Background(), level, string(msg))
	return len(p), nil
}
