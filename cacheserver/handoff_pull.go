package cacheserver

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/ringcache/ringcache/internal/ctxsleep"
	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/internal/store"
	"github.com/ringcache/ringcache/ring"
)

// The new owner's side of a hand-off: bulk pulls and read-through.

// pullSlots is the number of slots asked for in one SLOTS request, and
// pullBytes the size of keys and values after which the previous owner
// ends its reply (at a slot's end).
const (
	pullSlots = 256
	pullBytes = 4 << 20
)

// errFenced is a source that kept answering TRYAGAIN (its ring did not
// give it the slot) until the source's keep time ran out.
var errFenced = errors.New("handoff: the previous owner never routed the slot here")

// errCancelled is a transfer that ended while it waited for its source.
var errCancelled = errors.New("handoff: cancelled")

// wireEntry is an entry as it travels: the key, the value and the
// absolute expiry (Unix ms, 0 = none). The expiry stays absolute until the
// entry is installed (entry): a TTL taken on arrival would grow by every
// wait before the install (the rate limiter, a busy slot lock), and the
// key would outlive its expiry on the new owner.
type wireEntry struct {
	key, val []byte
	expiry   int64
	kind     store.Kind
}

// entry is w as a store entry with its TTL from now; false once it expired.
func (w wireEntry) entry() (store.Entry, bool) {
	e := store.Entry{Key: w.key, Value: w.val, Kind: w.kind}
	if w.expiry != 0 {
		if e.TTL = time.Until(time.UnixMilli(w.expiry)); e.TTL <= 0 {
			return e, false
		}
	}
	return e, true
}

// pull copies slots (all from one source), the slots that source keeps
// keys of, in requests of up to pullSlots slots, then tells the source
// which it may drop.
func (ho *handoff) pull(slots []*inSlot) {
	defer ho.st.wg.Done()
	defer ho.pulls.Add(-1)
	src, begin := slots[0].src, time.Now()
	ho.stats.transfers.Add(1)
	held := ho.held(src, slots)
	var todo []*inSlot
	for i, in := range slots {
		if held[i] {
			todo = append(todo, in)
			continue
		}
		ho.stats.slotsDone.Add(1)
		ho.complete(in) // nothing kept there: nothing to copy
	}
	var keys, size int64
	var done []int
	var err error
	for len(todo) > 0 && err == nil {
		var n, k, b int
		n, k, b, err = ho.pullGroup(todo[:min(pullSlots, len(todo))])
		keys, size = keys+int64(k), size+int64(b)
		for _, in := range todo[:n] {
			ho.stats.slotsDone.Add(1)
			done = append(done, in.slot)
			ho.complete(in)
		}
		todo = todo[n:]
	}
	for _, in := range todo { // the source failed: these go on empty
		ho.stats.slotsFailed.Add(1)
		ho.complete(in)
	}
	if err != nil {
		src.failed.Store(true)
	}
	ho.sendDone(src, done)
	ho.s.log.Info("hand-off received", "from", src.name, "slots", len(slots), "copied_slots", len(done),
		"keys", keys, "bytes", size, "duration", time.Since(begin).Round(time.Millisecond), "err", err)
}

// pullGroup asks the source for whole slots of group and installs them;
// it returns how many slots of group the reply covered, keys installed
// and bytes received.
func (ho *handoff) pullGroup(group []*inSlot) (covered, keys, size int, err error) {
	args := make([]string, 0, len(group))
	bySlot := make(map[int]*inSlot, len(group))
	for _, in := range group {
		args = append(args, strconv.Itoa(in.slot))
		bySlot[in.slot] = in
	}
	stop := func() bool { return group[0].isCancelled() }
	v, err := ho.ask(ho.st.ctx, group[0].src, group[0].src.since.Add(fenceWait), stop, "SLOTS", args...)
	if errors.Is(err, errCancelled) {
		return 1, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, err
	}
	n, batch, size, err := decodeSlots(v, len(group))
	if err != nil {
		return 0, 0, 0, err
	}
	if err := ho.lim.wait(ho.st.ctx, size); err != nil {
		return 0, 0, size, err
	}
	per := map[*inSlot][]wireEntry{}
	for _, w := range batch {
		if in := bySlot[ring.KeySlotBytes(w.key)]; in != nil {
			per[in] = append(per[in], w)
		}
	}
	for in, b := range per {
		got, _ := ho.importBatch(in, b)
		keys += got
	}
	ho.stats.keysIn.Add(int64(keys))
	ho.stats.bytesIn.Add(int64(size))
	return n, keys, size, nil
}

// held asks src which of slots it keeps keys of for this node, retrying
// the slots it does not route here yet until they are cancelled or the
// keep time runs out; a slot it cannot tell about counts as held (the
// pull then finds out).
func (ho *handoff) held(src *handoffSource, slots []*inSlot) []bool {
	out := make([]bool, len(slots))
	todo := make([]int, len(slots))
	for i := range todo {
		todo[i] = i
	}
	deadline := src.since.Add(fenceWait)
	for len(todo) > 0 && time.Now().Before(deadline) {
		var again []int
		for lo := 0; lo < len(todo); lo += 2048 {
			part := todo[lo:min(lo+2048, len(todo))]
			args := make([]string, len(part))
			for j, i := range part {
				args[j] = strconv.Itoa(slots[i].slot)
			}
			v, err := ho.ask(ho.st.ctx, src, deadline, nil, "HELD", args...)
			if err != nil || len(v.Str) != len(part) {
				for _, i := range part {
					out[i] = true
				}
				continue
			}
			for j, i := range part {
				switch v.Str[j] {
				case '1':
					out[i] = true
				case '2':
					if !slots[i].isCancelled() {
						again = append(again, i)
					}
				}
			}
		}
		if todo = again; len(todo) > 0 && ctxsleep.Sleep(ho.st.ctx, 20*time.Millisecond) != nil {
			break
		}
	}
	for _, i := range todo {
		out[i] = true
	}
	return out
}

// readThrough fetches one key from the previous owner, at most
// cfg.readThrough: errFenced when the owner answered but does not route
// the slot here yet; not found on any other failure, and then the source
// counts as gone.
func (ho *handoff) readThrough(in *inSlot, key []byte) (wireEntry, bool, error) {
	if in.src.failed.Load() {
		return wireEntry{}, false, nil
	}
	ho.stats.readThroughs.Add(1)
	ctx, cancel := context.WithTimeout(ho.st.ctx, ho.cfg.readThrough)
	defer cancel()
	deadline, _ := ctx.Deadline()
	if !in.src.planned {
		deadline = time.Time{} // its fence answer is final: do not wait
	}
	v, err := ho.ask(ctx, in.src, deadline, in.isCancelled, "GET", string(key))
	switch {
	case errors.Is(err, errFenced) && in.src.planned && time.Since(in.src.since) < fenceWait:
		return wireEntry{}, false, errFenced
	case errors.Is(err, errFenced) && !in.src.planned:
		return wireEntry{}, false, nil
	case errors.Is(err, errFenced):
		in.src.failed.Store(true)
		return wireEntry{}, false, nil
	case err != nil:
		if ho.st.ctx.Err() == nil && !errors.Is(err, errCancelled) {
			in.src.failed.Store(true)
		}
		return wireEntry{}, false, nil
	case v.Null || len(v.Elems) != 3:
		return wireEntry{}, false, nil
	}
	w, ok := decodeEntry(key, v.Elems[0].Str, v.Elems[1].Str, v.Elems[2].Int)
	return w, ok, nil
}

// ask sends RINGCACHE HANDOFF <sub> <self> args... to src, retrying while
// src answers TRYAGAIN (it does not route the slot here yet) until
// deadline or until stop reports true, and a failed connection twice.
func (ho *handoff) ask(ctx context.Context, src *handoffSource, deadline time.Time, stop func() bool,
	sub string, args ...string) (resp.Value, error) {
	cmd := [][]byte{[]byte("RINGCACHE"), []byte("HANDOFF"), []byte(sub), []byte(ho.st.self)}
	for _, a := range args {
		cmd = append(cmd, []byte(a))
	}
	netErrs, fenced := 0, false
	for {
		raw, err := ho.pool.Do(ctx, src.addr, cmd, nil)
		var v resp.Value
		if err == nil {
			v, err = parseReply(raw, ho.s.cfg.MaxBulkLen)
		}
		switch {
		case err != nil && ctx.Err() != nil && fenced:
			return v, errFenced
		case err != nil && ctx.Err() != nil:
			return v, err
		case err != nil:
			if netErrs++; netErrs > 2 {
				return v, err
			}
		case v.IsError() && bytes.HasPrefix(v.Str, []byte("TRYAGAIN")):
			fenced = true
			if time.Now().After(deadline) {
				return v, errFenced
			}
			if stop != nil && stop() {
				return v, errCancelled
			}
		case v.IsError():
			return v, errors.New(string(v.Str))
		default:
			return v, nil
		}
		if err := ctxsleep.Sleep(ctx, 20*time.Millisecond*time.Duration(1+netErrs*4)); err != nil {
			if fenced {
				return v, errFenced
			}
			return v, err
		}
	}
}

// sendDone tells src the slots are copied, so it drops its copy now.
func (ho *handoff) sendDone(src *handoffSource, slots []int) {
	for len(slots) > 0 {
		n := min(len(slots), 1024)
		args := make([]string, n)
		for i, s := range slots[:n] {
			args[i] = strconv.Itoa(s)
		}
		ctx, cancel := context.WithTimeout(ho.st.ctx, time.Second)
		_, err := ho.ask(ctx, src, time.Time{}, nil, "DONE", args...)
		cancel()
		if err != nil {
			return
		}
		slots = slots[n:]
	}
}

// parseReply parses one raw RESP reply.
func parseReply(raw []byte, maxBulk int64) (resp.Value, error) {
	cfg := resp.DefaultReaderConfig()
	if maxBulk > 0 {
		cfg.MaxBulkLen = maxBulk
	}
	return resp.NewReplyReader(bytes.NewReader(raw), cfg).Read()
}

// decodeSlots splits a SLOTS reply: how many of the asked slots it
// covers, then key, value and expiry of each entry; size is the bytes of
// keys and values.
func decodeSlots(v resp.Value, asked int) (covered int, b []wireEntry, size int, err error) {
	if len(v.Elems) < 1 || (len(v.Elems)-1)%4 != 0 {
		return 0, nil, 0, errors.New("handoff: malformed SLOTS reply")
	}
	covered, err = strconv.Atoi(string(v.Elems[0].Str))
	if err != nil || covered < 1 || covered > asked {
		return 0, nil, 0, errors.New("handoff: malformed SLOTS reply")
	}
	for i := 1; i < len(v.Elems); i += 4 {
		k, val, exp := v.Elems[i].Str, v.Elems[i+1].Str, v.Elems[i+2].Str
		if w, ok := decodeEntry(k, val, exp, v.Elems[i+3].Int); ok {
			b = append(b, w)
		}
		size += len(k) + len(val)
	}
	return covered, b, size, nil
}

// decodeEntry copies a travelling entry; false when it is malformed (an
// unknown kind) or expired on the way.
func decodeEntry(key, val, exp []byte, kind int64) (wireEntry, bool) {
	w := wireEntry{key: append([]byte(nil), key...), val: append([]byte(nil), val...), kind: store.Kind(kind)}
	ms, err := strconv.ParseInt(string(exp), 10, 64)
	if err != nil || ms < 0 || kind < 0 || kind > 255 || !w.kind.Valid() {
		return w, false
	}
	w.expiry = ms
	_, live := w.entry()
	return w, live
}

// expiryMillis is the absolute expiry (0: none) of a TTL the store
// counted from a moment no earlier than at: the wall clock read just
// before the store was read, so the expiry can only come out early (by
// the store call's duration), never late, however long the reply takes
// to write.
func expiryMillis(at time.Time, ttl time.Duration) int64 {
	if ttl == 0 {
		return 0
	}
	return at.Add(ttl).UnixMilli()
}

// limiter spaces bulk copies to rate bytes/s, shared by every pull.
type limiter struct {
	mu   sync.Mutex
	rate float64
	next time.Time
}

// wait blocks until n more bytes fit the budget.
func (l *limiter) wait(ctx context.Context, n int) error {
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		return ctxsleep.Sleep(ctx, d)
	}
	return nil
}
