package cacheserver

import (
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

// Keyspace notifications, as Redis 7.0: with notify-keyspace-events set
// (CONFIG SET, or Config.NotifyKeyspaceEvents), a change to a key publishes
// the event name on __keyspace@0__:<key> (flag K) and the key on
// __keyevent@0__:<event> (flag E), for the event classes selected (g
// generic, $ string, l s h z t d for the other types, x expired, e
// evicted, m key miss, n new key; A is g$lshzxetd). The messages go through
// the node's pub/sub (pubsub.go): subscribers of that node receive them, as
// in Redis Cluster where each node notifies about its own keys.
//
// notifyKeyspaceEvent (and conn.notify, its shorthand in handlers) is the
// one emit point: a command calls it once per event after its change is
// made, with the class and Redis's event name ("set", "del", "expire",
// "hset", "sadd", ...). It costs one atomic load while notifications are
// off. Expired and evicted events come from the store's OnRemove hook.
// "new" (n) events: a command that may create a key calls keyAbsent before
// its write and notifyNew after it (they cost nothing unless n is
// selected); Redis emits "new" before the command's own event.

// Notification classes (Redis's NOTIFY_* flags).
const (
	ntfKeyspace = 1 << iota // K
	ntfKeyevent             // E
	ntfGeneric              // g
	ntfString               // $
	ntfList                 // l
	ntfSet                  // s
	ntfHash                 // h
	ntfZset                 // z
	ntfExpired              // x
	ntfEvicted              // e
	ntfStream               // t
	ntfKeyMiss              // m
	ntfModule               // d
	ntfNew                  // n

	ntfAll = ntfGeneric | ntfString | ntfList | ntfSet | ntfHash | ntfZset | ntfExpired | ntfEvicted |
		ntfStream | ntfModule // A
)

// ntfFlagChars maps each flag character to its class, in the order Redis
// prints them (after A, which stands for ntfAll).
var ntfFlagChars = []struct {
	ch    byte
	class int
}{
	{'g', ntfGeneric}, {'$', ntfString}, {'l', ntfList}, {'s', ntfSet}, {'h', ntfHash}, {'z', ntfZset},
	{'x', ntfExpired}, {'e', ntfEvicted}, {'t', ntfStream}, {'d', ntfModule}, {'n', ntfNew},
	{'K', ntfKeyspace}, {'E', ntfKeyevent}, {'m', ntfKeyMiss},
}

// errNotifyFlags is Redis's CONFIG SET complaint about a bad flag.
//
//lint:ignore ST1005 the exact Redis error text
var errNotifyFlags = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")

// parseNotifyFlags parses notify-keyspace-events as Redis does.
func parseNotifyFlags(s string) (int, error) {
	flags := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 'A' {
			flags |= ntfAll
			continue
		}
		found := false
		for _, f := range ntfFlagChars {
			if f.ch == s[i] {
				flags, found = flags|f.class, true
				break
			}
		}
		if !found {
			return 0, errNotifyFlags
		}
	}
	return flags, nil
}

// formatNotifyFlags prints flags as CONFIG GET does.
func formatNotifyFlags(flags int) string {
	var b strings.Builder
	if flags&ntfAll == ntfAll {
		b.WriteByte('A')
	}
	for _, f := range ntfFlagChars {
		inAll := f.class&ntfAll != 0 || f.class == ntfNew
		if flags&f.class != 0 && (flags&ntfAll != ntfAll || !inAll) {
			b.WriteByte(f.ch)
		}
	}
	return b.String()
}

// notifier holds the selected classes and publishes events.
type notifier struct {
	flags  atomic.Int64
	pubsub *pubsubRegistry // set once, before notifications can be enabled
}

var notifyConfigParam = configParam{
	get: func(s *Server) string { return formatNotifyFlags(int(s.notify.flags.Load())) },
	set: func(s *Server, v string) error {
		f, err := parseNotifyFlags(v)
		if err == nil {
			s.notify.flags.Store(int64(f))
		}
		return err
	},
}

// notifyKeyspaceEvent publishes event about key when class is selected:
// the single emit point of keyspace notifications (see the file comment).
// key may alias a buffer; it is copied into the message.
func (n *notifier) notifyKeyspaceEvent(class int, event string, key []byte) {
	flags := int(n.flags.Load())
	if flags&class == 0 || flags&(ntfKeyspace|ntfKeyevent) == 0 {
		return
	}
	if flags&ntfKeyspace != 0 {
		ch := append([]byte("__keyspace@0__:"), key...)
		n.pubsub.publish(subChannel, ch, []byte(event))
	}
	if flags&ntfKeyevent != 0 {
		ch := append([]byte("__keyevent@0__:"), event...)
		n.pubsub.publish(subChannel, ch, key)
	}
}

// notify is notifyKeyspaceEvent for command handlers.
func (c *conn) notify(class int, event string, key []byte) {
	c.srv.notify.notifyKeyspaceEvent(class, event, key)
}

// notifyOn reports whether events of class are published, for handlers
// that must look something up to name the event.
func (c *conn) notifyOn(class int) bool {
	f := int(c.srv.notify.flags.Load())
	return f&class != 0 && f&(ntfKeyspace|ntfKeyevent) != 0
}

// keyAbsent reports, only while "new" events are selected, that key does
// not exist: call it before a write that may create key and pass the
// result to notifyNew once the write is done.
func (c *conn) keyAbsent(key []byte) bool {
	return c.notifyOn(ntfNew) && !c.db.Exists(key)
}

// notifyNew emits "new" for a key keyAbsent reported absent.
func (c *conn) notifyNew(absent bool, key []byte) {
	if absent {
		c.notify(ntfNew, "new", key)
	}
}

// notifySet emits SET's events: [new,] set, then expire when it set a TTL.
func (c *conn) notifySet(absent bool, key []byte, withTTL bool) {
	c.notifyNew(absent, key)
	c.notify(ntfString, "set", key)
	if withTTL {
		c.notify(ntfGeneric, "expire", key)
	}
}

// absentPairs is keyAbsent for each key of k1 v1 k2 v2 ... (nil when
// "new" events are off).
func (c *conn) absentPairs(kvs [][]byte) []bool {
	if !c.notifyOn(ntfNew) {
		return nil
	}
	absent := make([]bool, len(kvs)/2)
	for i := range absent {
		absent[i] = c.keyAbsent(kvs[2*i])
	}
	return absent
}

// notifyPairs emits [new,] set for each key of k1 v1 k2 v2 ... (MSET,
// MSETNX); absent comes from absentPairs.
func (c *conn) notifyPairs(kvs [][]byte, absent []bool) {
	if !c.notifyOn(ntfString | ntfNew) {
		return
	}
	for i := 0; i+1 < len(kvs); i += 2 {
		c.notifyNew(absent != nil && absent[i/2], kvs[i])
		c.notify(ntfString, "set", kvs[i])
	}
}

// notifyExpire emits expire, or del when the time was already past (the
// key was deleted), as the EXPIRE family and GETEX do.
func (c *conn) notifyExpire(key []byte, ttl time.Duration) {
	if ttl <= 0 {
		c.notify(ntfGeneric, "del", key)
		return
	}
	c.notify(ntfGeneric, "expire", key)
}

// notifyRename emits RENAME's events: new (Redis re-adds the
// destination), rename_from and rename_to.
func (c *conn) notifyRename(src, dst []byte) {
	c.notifyNew(true, dst)
	c.notify(ntfGeneric, "rename_from", src)
	c.notify(ntfGeneric, "rename_to", dst)
}

// hasTTL reports whether key exists with a TTL.
func (c *conn) hasTTL(key []byte) bool {
	_, st := c.db.TTL(key)
	return st == store.HasTTL
}

// onRemoveHook returns the store's OnRemove callback emitting expired and
// evicted events, then calling next. It runs under the key's shard lock;
// publishing takes only the pub/sub registry's and subscribers' locks.
func (n *notifier) onRemoveHook(next func([]byte, store.RemoveReason)) func([]byte, store.RemoveReason) {
	return func(key []byte, why store.RemoveReason) {
		if why == store.RemovedExpired {
			n.notifyKeyspaceEvent(ntfExpired, "expired", key)
		} else {
			n.notifyKeyspaceEvent(ntfEvicted, "evicted", key)
		}
		if next != nil {
			next(key, why)
		}
	}
}
