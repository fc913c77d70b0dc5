package cacheserver

import (
	"bytes"
	"slices"
)

// BCAST batching. Redis collects the keys written under each BCAST prefix
// during one event-loop iteration and then sends every client of the
// prefix one invalidation message with all of them (keys in lexicographic
// order, prefixes too). Here the keys are collected while a command runs
// (a whole EXEC included) and sent when it ends (conn.execute), so an MSET
// of three keys or a transaction of four INCRs under two prefixes sends
// one message per prefix. A NOLOOP client is not sent the keys it wrote
// itself, and no message when nothing is left.

// queueBcast records that writer wrote key, under every BCAST prefix it
// starts with (caller holds t.mu).
func (t *tracker) queueBcast(writer *conn, key []byte) {
	for p, set := range t.bcast {
		if len(set) == 0 || !bytes.HasPrefix(key, []byte(p)) {
			continue
		}
		keys := t.pending[p]
		if keys == nil {
			keys = map[string]*conn{}
			t.pending[p] = keys
		}
		if _, ok := keys[string(key)]; !ok {
			keys[string(key)] = writer
		}
		t.hasPend.Store(true)
	}
}

// flushBcast sends the collected BCAST keys (see queueBcast).
func (t *tracker) flushBcast() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushBcastLocked()
}

// flushBcastLocked is flushBcast with t.mu held.
func (t *tracker) flushBcastLocked() {
	if len(t.pending) == 0 {
		return
	}
	prefixes := make([]string, 0, len(t.pending))
	for p := range t.pending {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	var list [][]byte
	for _, p := range prefixes {
		written := t.pending[p]
		keys := make([]string, 0, len(written))
		for k := range written {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for tc := range t.bcast[p] {
			list = list[:0]
			for _, k := range keys {
				if !(tc.push.trk.noloop && written[k] == tc) {
					list = append(list, []byte(k))
				}
			}
			if len(list) > 0 {
				t.send(tc, list, false)
			}
		}
	}
	clear(t.pending)
	t.hasPend.Store(false)
}
