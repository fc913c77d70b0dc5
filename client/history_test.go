package client

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// staleBound is the staleness the coherence tests allow (L1.MaxStaleness
// in those tests): a read that starts this long after a write was
// acknowledged must see that write or a newer one.
const staleBound = 50 * time.Millisecond

// never is the acknowledgement time of a write whose outcome is unknown (it
// timed out): it may have been applied, so it may be read, but no read is
// required to see it.
var never = time.Unix(1<<40, 0)

type op struct {
	seq   int
	del   bool
	start time.Time
	acked time.Time
}

type readRec struct {
	key   int
	start time.Time
	seq   int // -1: not found
	tier  Tier
}

// history records, per key, the writes of its single writer in order, and
// every read.
type history struct {
	mu     sync.Mutex
	writes map[int][]op
	reads  []readRec
	// A ring change in [dropFrom, dropTo] may drop any key's data (nodes
	// empty the slots whose owner changed): a write begun before dropTo
	// may be lost to a read begun after dropFrom.
	dropFrom, dropTo time.Time
}

func newHistory() *history { return &history{writes: map[int][]op{}} }

func (h *history) write(key int, o op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes[key] = append(h.writes[key], o)
}

func (h *history) read(r readRec) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads = append(h.reads, r)
}

// staleness returns how far behind the cluster read r was: zero when it
// returned the newest write acknowledged before it started (or a newer
// one), else the time between the acknowledgement of the oldest write it
// missed and its start. A value read must come from that write or a later
// one (each value is unique); "not found" must be explained by a delete
// at or after it.
func (h *history) staleness(r readRec) time.Duration {
	ws := h.writes[r.key]
	// Writes of one key come from one writer, so acknowledgements are
	// ordered (unknown ones are "never", and no write follows them).
	n := sort.Search(len(ws), func(j int) bool { return !ws[j].acked.Before(r.start) })
	for j := range n {
		if !h.explains(r, ws[j:]) {
			return r.start.Sub(ws[j].acked)
		}
	}
	return 0
}

// explains reports whether the read can have returned the first of ws or a
// later write.
func (h *history) explains(r readRec, ws []op) bool {
	if r.seq >= 0 {
		return r.seq >= ws[0].seq
	}
	if !h.dropFrom.IsZero() && !r.start.Before(h.dropFrom) && ws[0].start.Before(h.dropTo) {
		return true // dropped by the ring change
	}
	return slices.ContainsFunc(ws, func(w op) bool { return w.del && w.start.Before(r.start.Add(time.Second)) })
}

// staleReport summarises the staleness of every read.
type staleReport struct {
	reads, over int
	max         time.Duration
	worst       []readRec // a few reads over the bound
	firstOver   time.Time
	lastOver    time.Time
}

func (h *history) report(bound time.Duration) staleReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	rep := staleReport{reads: len(h.reads)}
	for _, r := range h.reads {
		d := h.staleness(r)
		rep.max = max(rep.max, d)
		if d <= bound {
			continue
		}
		rep.over++
		if len(rep.worst) < 5 {
			rep.worst = append(rep.worst, r)
		}
		if rep.firstOver.IsZero() || r.start.Before(rep.firstOver) {
			rep.firstOver = r.start
		}
		if r.start.After(rep.lastOver) {
			rep.lastOver = r.start
		}
	}
	return rep
}

// check fails t unless every read was at most bound behind the cluster.
func (h *history) check(t *testing.T, bound time.Duration) staleReport {
	t.Helper()
	rep := h.report(bound)
	for _, r := range rep.worst {
		t.Errorf("key %d: read at %v returned seq %d from %s, %v stale", r.key,
			r.start.Format("15:04:05.000000"), r.seq, r.tier, h.staleness(r))
	}
	if rep.over > 0 {
		t.Fatalf("%d of %d reads were staler than %v (max %v)", rep.over, rep.reads, bound, rep.max)
	}
	return rep
}

func value(key, seq int) []byte { return []byte(fmt.Sprintf("k%d-s%d", key, seq)) }

func seqOf(v []byte) int {
	_, s, _ := strings.Cut(string(v), "-s")
	n, err := strconv.Atoi(s)
	if err != nil {
		return -2
	}
	return n
}

// TestHistoryCheckerCatchesStaleReads feeds the checker a hand-made history:
// it must measure a missed write and a missed delete, and accept reads that
// are fresh or that raced with the write they missed.
func TestHistoryCheckerCatchesStaleReads(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	h := newHistory()
	h.write(1, op{seq: 1, start: at(0), acked: at(1)})
	h.write(1, op{seq: 2, start: at(10), acked: at(11)})
	h.write(1, op{seq: 3, del: true, start: at(20), acked: at(21)})
	h.write(1, op{seq: 4, start: at(30), acked: never})
	h.write(3, op{seq: 1, start: at(0), acked: at(1)})
	h.write(3, op{seq: 2, start: at(50), acked: at(51)})
	h.dropFrom, h.dropTo = at(40), at(60)
	cases := []struct {
		r    readRec
		want time.Duration
	}{
		{readRec{key: 1, start: at(5), seq: 1}, 0},
		{readRec{key: 1, start: at(10), seq: 1}, 0},                      // races with seq 2
		{readRec{key: 1, start: at(16), seq: 1}, 5 * time.Millisecond},   // missed seq 2
		{readRec{key: 1, start: at(31), seq: -1}, 0},                     // the delete
		{readRec{key: 1, start: at(31), seq: 2}, 10 * time.Millisecond},  // missed the delete
		{readRec{key: 1, start: at(41), seq: 4}, 0},                      // an unacknowledged write
		{readRec{key: 2, start: at(41), seq: -1}, 0},                     // never written
		{readRec{key: 3, start: at(39), seq: -1}, 38 * time.Millisecond}, // before the ring change
		{readRec{key: 3, start: at(45), seq: -1}, 0},                     // dropped by it
		{readRec{key: 3, start: at(70), seq: -1}, 0},                     // seq 2 lost in it
		{readRec{key: 3, start: at(70), seq: 1}, 19 * time.Millisecond},  // no older value, though
	}
	for _, c := range cases {
		if got := h.staleness(c.r); got != c.want {
			t.Errorf("read %+v: staleness %v, want %v", c.r, got, c.want)
		}
	}
}
