package cacheserver

import (
	"bytes"
	"testing"

	"github.com/ringcache/ringcache/internal/resp"
)

// FuzzExecute runs arbitrary commands (one per line, arguments separated by
// spaces) through dispatch on one connection: nothing may panic and every
// command must produce exactly one well-formed reply.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{
		"PING", "SET k v\nGET k", "MULTI\nSET {a}x 1\nINCR {a}x\nEXEC", "WATCH k\nMULTI\nEXEC",
		"HELLO 3 SETNAME x\nCLIENT INFO", "CONFIG GET *", "COMMAND DOCS get", "COMMAND GETKEYS mset a 1 b 2",
		"CLIENT KILL ID 1", "INFO everything", "nosuch a b", "SETRANGE k 100 x\nGETRANGE k 0 -1",
		"MULTI\nMULTI\nDISCARD", "HELLO 2 AUTH default x", "CLIENT LIST ID 1 2", "EXEC", "RESET",
	} {
		f.Add([]byte(s))
	}
	cfg := testConfig()
	cfg.MaxBulkLen = 1 << 20
	cfg.Store.MaxValueSize = 1 << 20
	cfg.Store.MaxMemory = 64 << 20
	srv := newTestServer(f, cfg)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newTestConn(t, srv)
		for _, line := range bytes.Split(data, []byte("\n")) {
			args := bytes.Split(line, []byte(" "))
			if len(args[0]) == 0 {
				continue
			}
			if isDangerous(args) {
				continue
			}
			c.execute(args)
			out := c.w.Bytes()
			rr := resp.NewReplyReader(bytes.NewReader(out), resp.DefaultReaderConfig())
			if _, err := rr.ReadRaw(nil); err != nil || rr.Buffered() != 0 {
				t.Fatalf("%q: reply %q is not exactly one reply: %v", line, out, err)
			}
			c.w.Reset(nil)
			if c.closeNow {
				return
			}
		}
	})
}

// isDangerous skips commands that would make later inputs meaningless for
// the whole fuzz run (CONFIG SET: a password, a tiny maxclients) or that
// legitimately suppress replies (CLIENT REPLY, tested in TestClientReply).
func isDangerous(args [][]byte) bool {
	if len(args) < 2 {
		return false
	}
	return bytes.EqualFold(args[0], []byte("config")) && bytes.EqualFold(args[1], []byte("set")) ||
		bytes.EqualFold(args[0], []byte("client")) && bytes.EqualFold(args[1], []byte("reply"))
}
