package cacheserver

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// aclLog is ACL LOG: the most recent denials and failed logins, newest
// first, at most maxLen (acllog-max-len). A denial like one logged less
// than 60 s ago (same reason, context, object and user) updates that
// entry instead of adding one, as Redis does.
type aclLog struct {
	mu      sync.Mutex
	entries []*aclLogEntry
	nextID  int64
	maxLen  atomic.Int64
	denied  [len(aclReasons)]atomic.Int64 // INFO acl_access_denied_<reason>
}

// aclReasons are the reasons of ACL LOG entries, as INFO names them.
var aclReasons = [...]string{"auth", "command", "key", "channel"}

// infoStats writes Redis 7.2's acl_access_denied_* fields.
func (l *aclLog) infoStats(b *strings.Builder) {
	names := [...]string{"auth", "cmd", "key", "channel"}
	for i, n := range names {
		field(b, "acl_access_denied_"+n, l.denied[i].Load())
	}
}

type aclLogEntry struct {
	count                   int64
	reason, context, object string
	username, clientInfo    string
	id                      int64
	created, updated        time.Time
}

// add records a denial: reason is "command", "key", "channel" or "auth".
func (l *aclLog) add(reason, context, object, username, clientInfo string) {
	for i, r := range aclReasons {
		if r == reason {
			l.denied[i].Add(1)
		}
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.entries {
		if e.reason == reason && e.context == context && e.object == object && e.username == username &&
			now.Sub(e.updated) < 60*time.Second {
			e.count++
			e.updated, e.clientInfo = now, clientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, context: context, object: object, username: username,
		clientInfo: clientInfo, id: l.nextID, created: now, updated: now}
	l.nextID++
	l.entries = append([]*aclLogEntry{e}, l.entries...)
	l.trimLocked()
}

func (l *aclLog) trimLocked() {
	if n := int(l.maxLen.Load()); len(l.entries) > n {
		clear(l.entries[n:])
		l.entries = l.entries[:n]
	}
}

// setMaxLen sets acllog-max-len; as in Redis the log is trimmed at the
// next entry, not now.
func (l *aclLog) setMaxLen(n int64) { l.maxLen.Store(n) }

func (l *aclLog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// writeLog answers ACL LOG [count]: Redis 7.2's fields (7.0's seven,
// then entry-id, timestamp-created, timestamp-last-updated).
func (c *conn) writeLog(n int) {
	l := &c.srv.acl.log
	l.mu.Lock()
	entries := append([]*aclLogEntry(nil), l.entries[:min(n, len(l.entries))]...)
	l.mu.Unlock()
	now := time.Now()
	c.w.WriteArray(len(entries))
	for _, e := range entries {
		c.w.WriteMap(10)
		c.w.WriteBulkString("count")
		c.w.WriteInt(e.count)
		for _, kv := range [][2]string{{"reason", e.reason}, {"context", e.context}, {"object", e.object},
			{"username", e.username}} {
			c.w.WriteBulkString(kv[0])
			c.w.WriteBulkString(kv[1])
		}
		c.w.WriteBulkString("age-seconds")
		c.w.WriteDouble(now.Sub(e.created).Seconds())
		c.w.WriteBulkString("client-info")
		c.w.WriteBulkString(strings.TrimSuffix(e.clientInfo, "\n"))
		c.w.WriteBulkString("entry-id")
		c.w.WriteInt(e.id)
		c.w.WriteBulkString("timestamp-created")
		c.w.WriteInt(e.created.UnixMilli())
		c.w.WriteBulkString("timestamp-last-updated")
		c.w.WriteInt(e.updated.UnixMilli())
	}
}

// aclLogCmd is ACL LOG [count | RESET].
func aclLogCmd(c *conn, args [][]byte) {
	n := 10
	switch {
	case len(args) == 2:
	case len(args) == 3 && strings.EqualFold(string(args[2]), "reset"):
		c.srv.acl.log.reset()
		c.w.WriteSimple("OK")
		return
	case len(args) == 3:
		v, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			c.replyErrString(notIntegerErr)
			return
		}
		if v < 0 {
			c.replyErrString("ERR value is out of range, must be positive")
			return
		}
		n = int(min(v, 1<<30))
	default:
		c.replyErrString(syntaxErr)
		return
	}
	c.writeLog(n)
}
