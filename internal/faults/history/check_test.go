package history

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func w(client, key, val string, from, to int) Op {
	return Op{Client: client, Kind: Write, Key: key, Value: val, Invoke: at(from), Complete: at(to)}
}

func rd(key, val string, from, to int) Op {
	return Op{Client: "r", Kind: Read, Key: key, Value: val, Found: val != "", Invoke: at(from), Complete: at(to)}
}

func del(key string, from, to int) Op {
	return Op{Client: "d", Kind: Delete, Key: key, Invoke: at(from), Complete: at(to)}
}

var bounds = Bounds{Cluster: 100 * time.Millisecond, L1: 200 * time.Millisecond}

// legal is a history every rule accepts: reads within Δ of a newer write,
// misses, reads of writes whose outcome is unknown, concurrent reads.
func legal() []Op {
	failed := w("a", "k", "v3", 600, 700)
	failed.Err = "timeout"
	return []Op{
		w("a", "k", "v1", 0, 10),
		rd("k", "v1", 20, 25),
		w("a", "k", "v2", 100, 110),
		rd("k", "v1", 150, 155), // stale by 40ms < Δ
		rd("k", "v2", 105, 120), // concurrent with the write
		del("k", 400, 410),
		rd("k", "", 405, 406), // concurrent with the delete
		rd("k", "", 600, 605),
		failed,
		rd("k", "v3", 2000, 2005), // unknown outcome: may be applied late
		w("b", "j", "x1", 0, 10),
		{Client: "s", Tier: "l1", Kind: Read, Key: "j", Value: "x1", Found: true, Invoke: at(15), Complete: at(16)},
	}
}

func check(t *testing.T, ops []Op, b Bounds) Report {
	t.Helper()
	rep := Check(ops, b)
	for _, v := range rep.Violations {
		var buf bytes.Buffer
		PrintWindow(&buf, ops, v, t0, 20)
		t.Log(buf.String())
	}
	return rep
}

func TestLegalHistoryPasses(t *testing.T) {
	if rep := check(t, legal(), bounds); !rep.OK() {
		t.Fatalf("legal history rejected: %+v", rep)
	}
}

func TestPlantedStaleReadFails(t *testing.T) {
	ops := append(legal(),
		w("b", "j", "x2", 100, 110),
		rd("j", "x1", 300, 305), // x2 acked 190ms before: beyond Δ=100ms
	)
	rep := check(t, ops, bounds)
	if rep.Stale != 1 || rep.OK() || rep.StaleKeys != 1 {
		t.Fatalf("planted stale read: %+v", rep)
	}
	if got := rep.Violations[0].Beyond; got != 90*time.Millisecond {
		t.Fatalf("beyond Δ = %v, want 90ms", got)
	}
}

func TestL1BoundIsSeparate(t *testing.T) {
	l1 := rd("j", "x1", 250, 251)
	l1.Tier = "l1"
	ops := append(legal(), w("b", "j", "x2", 100, 110), l1)
	if rep := check(t, ops, bounds); !rep.OK() {
		t.Fatalf("an L1 read 140ms behind is within the L1 Δ of 200ms: %+v", rep)
	}
	if rep := Check(ops, Bounds{Cluster: time.Second, L1: 50 * time.Millisecond}); rep.Stale != 1 {
		t.Fatalf("an L1 read 140ms behind exceeds an L1 Δ of 50ms: %+v", rep)
	}
}

func TestPlantedStaleAfterDeleteFails(t *testing.T) {
	ops := append(legal(), rd("k", "v2", 800, 805)) // deleted at 410
	if rep := check(t, ops, bounds); rep.Stale != 1 {
		t.Fatalf("a value read after its delete: %+v", rep)
	}
}

func TestPlantedNeverWrittenFails(t *testing.T) {
	ops := append(legal(), rd("j", "bogus", 50, 55), rd("j", "x9", 50, 55), w("b", "j", "x9", 60, 70))
	rep := check(t, ops, bounds)
	if rep.NeverWritten != 2 {
		t.Fatalf("planted never-written values (one unknown, one written after the read): %+v", rep)
	}
}

func TestPlantedLostWriteFails(t *testing.T) {
	ops := append(legal(), w("b", "j", "x2", 100, 110), rd("j", "", 500, 505))
	if rep := check(t, ops, bounds); !rep.OK() || rep.MissedAcked != 1 {
		t.Fatalf("without WAIT a miss is legal but counted: %+v", rep)
	}
	durable := bounds
	durable.Durable = true
	rep := check(t, ops, durable)
	if rep.Lost != 1 || rep.OK() {
		t.Fatalf("planted lost write with WAIT: %+v", rep)
	}
	// The legal part of the history has a delete before its misses.
	if rep := Check(legal(), durable); !rep.OK() {
		t.Fatalf("misses explained by a delete: %+v", rep)
	}
}

func TestPrintWindowShowsTheOffendingOps(t *testing.T) {
	ops := append(legal(), w("b", "j", "x2", 100, 110), rd("j", "x1", 300, 305))
	rep := Check(ops, bounds)
	var buf bytes.Buffer
	PrintWindow(&buf, ops, rep.Violations[0], t0, 20)
	out := buf.String()
	for _, want := range []string{`stale read of "j"`, `"x1"`, `"x2"`, "beyond Δ by 90ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("window lacks %q:\n%s", want, out)
		}
	}
}

func TestSummarize(t *testing.T) {
	fail := func(key string, from, to int) Op {
		o := w("a", key, "v9", from, to)
		o.Err = "timeout"
		return o
	}
	ops := []Op{
		rd("k", "v", 0, 1), rd("k", "", 10, 11),
		fail("k", 200, 250), fail("j", 300, 320), // one burst: 120ms
		rd("k", "", 300, 320),
		rd("k", "v", 500, 501),
		fail("k", 1000, 1010), // another burst, shorter
	}
	s := Summarize(ops, at(100), at(400))
	if s.Unavailable != 120*time.Millisecond || s.Errors["timeout"] != 3 || !s.UnavailableAt.Equal(at(200)) {
		t.Fatalf("summary: %+v", s)
	}
	if s.HitBefore != 0.5 || s.HitDuring != 0 || s.HitAfter != 1 {
		t.Fatalf("hit ratios: %+v", s)
	}
}
