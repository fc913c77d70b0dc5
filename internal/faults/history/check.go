package history

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Bounds are the staleness bounds the checker allows.
type Bounds struct {
	// Cluster is Δ for reads served by a node: a read must not return a
	// value overwritten by a write or delete acknowledged more than Cluster
	// before it started.
	Cluster time.Duration
	// L1 is Δ for reads served by the SDK's in-process tier (Tier "l1").
	L1 time.Duration
	// Durable says writes were acknowledged with WAIT: a read that misses
	// an acknowledged write (no delete may explain it) is then a lost
	// write, a violation. Without it such misses are legal and only
	// counted in Report.MissedAcked.
	Durable bool
}

func (b Bounds) delta(o Op) time.Duration {
	if o.Tier == "l1" {
		return b.L1
	}
	return b.Cluster
}

// Violation kinds.
const (
	NeverWritten = "never-written"
	Stale        = "stale"
	LostWrite    = "lost-write"
)

// Violation is one read that breaks a rule, with the write that shows it.
type Violation struct {
	Kind string `json:"kind"`
	Read Op     `json:"read"`
	// By is the acknowledged write or delete the read should have seen
	// (zero for NeverWritten).
	By Op `json:"by"`
	// Source is the write whose value a Stale read returned.
	Source Op `json:"source"`
	// Beyond is how long before the read started By was acknowledged,
	// minus Δ.
	Beyond time.Duration `json:"beyond_ns"`
}

// Report is the checker's result.
type Report struct {
	Violations []Violation `json:"violations,omitempty"`
	// Counts per violation kind.
	NeverWritten, Stale, Lost int
	// MissedAcked counts acknowledged writes that a later read (started
	// more than Δ after the acknowledgement) missed with no delete to
	// explain it: lost data, legal in a cache without WAIT.
	MissedAcked int
	// Keys whose stale reads returned a value from before a newer
	// acknowledged write (the keys "resurrected").
	StaleKeys int
}

// OK reports whether no rule was broken.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// Check applies the rules to a history.
func Check(ops []Op, b Bounds) Report {
	var rep Report
	staleKeys := map[string]bool{}
	missed := map[int]bool{}
	for key, idx := range byKey(ops) {
		for _, i := range idx {
			r := ops[i]
			if r.Kind != Read || !r.OK() {
				continue
			}
			v, ok := checkRead(ops, idx, i, b, missed)
			if !ok {
				continue
			}
			rep.Violations = append(rep.Violations, v)
			switch v.Kind {
			case NeverWritten:
				rep.NeverWritten++
			case Stale:
				rep.Stale++
				staleKeys[key] = true
			case LostWrite:
				rep.Lost++
			}
		}
	}
	rep.MissedAcked = len(missed)
	rep.StaleKeys = len(staleKeys)
	slices.SortFunc(rep.Violations, func(a, b Violation) int { return a.Read.Invoke.Compare(b.Read.Invoke) })
	return rep
}

func byKey(ops []Op) map[string][]int {
	m := map[string][]int{}
	for i, o := range ops {
		m[o.Key] = append(m[o.Key], i)
	}
	return m
}

// checkRead checks read i against the writes and deletes of its key (idx);
// it records in missed the acknowledged writes a miss shows lost.
func checkRead(ops []Op, idx []int, i int, b Bounds, missed map[int]bool) (Violation, bool) {
	r := ops[i]
	horizon := r.Invoke.Add(-b.delta(r))
	src := -1
	if r.Found {
		for _, j := range idx {
			w := ops[j]
			if w.Kind == Write && w.Value == r.Value && w.Invoke.Before(r.Complete) {
				src = j
				break
			}
		}
		if src < 0 {
			return Violation{Kind: NeverWritten, Read: r}, true
		}
		// Stale: an acknowledged write or delete that began after the
		// source was acknowledged, itself acknowledged before the horizon.
		// A source whose outcome is unknown may have been applied at any
		// time, so nothing is known to follow it.
		if !ops[src].OK() {
			return Violation{}, false
		}
		for _, j := range idx {
			w := ops[j]
			if w.Kind != Read && w.OK() && w.Complete.Before(horizon) && ops[src].Complete.Before(w.Invoke) {
				return Violation{Kind: Stale, Read: r, By: w, Source: ops[src], Beyond: horizon.Sub(w.Complete)}, true
			}
		}
		return Violation{}, false
	}
	return checkMiss(ops, idx, r, horizon, b, missed)
}

// checkMiss: a miss is explained by any delete not known to precede the
// newest acknowledged write before the horizon.
func checkMiss(ops []Op, idx []int, r Op, horizon time.Time, b Bounds, missed map[int]bool) (Violation, bool) {
	last := -1
	for _, j := range idx {
		w := ops[j]
		if w.Kind == Write && w.OK() && w.Complete.Before(horizon) && (last < 0 || ops[last].Complete.Before(w.Invoke)) {
			last = j
		}
	}
	if last < 0 {
		return Violation{}, false
	}
	for _, j := range idx {
		d := ops[j]
		if d.Kind == Delete && d.Invoke.Before(r.Complete) && !d.Complete.Before(ops[last].Invoke) {
			return Violation{}, false
		}
	}
	missed[last] = true
	if !b.Durable {
		return Violation{}, false
	}
	return Violation{Kind: LostWrite, Read: r, By: ops[last], Beyond: horizon.Sub(ops[last].Complete)}, true
}

// PrintWindow writes the operations on v's key from one second before the
// write that shows it (or the read) to the read's completion, at most max
// lines, times relative to start.
func PrintWindow(w io.Writer, ops []Op, v Violation, start time.Time, max int) {
	from := v.Read.Invoke.Add(-time.Second)
	if !v.By.Invoke.IsZero() && v.By.Invoke.Add(-time.Second).Before(from) {
		from = v.By.Invoke.Add(-time.Second)
	}
	fmt.Fprintf(w, "%s read of %q by %s at %s (beyond Δ by %v)", v.Kind, v.Read.Key, v.Read.Client,
		rel(v.Read.Invoke, start), v.Beyond.Round(time.Millisecond))
	if v.Kind == Stale {
		fmt.Fprintf(w, ": returned %q written at %s, overwritten by %s %q acknowledged at %s",
			v.Source.Value, rel(v.Source.Complete, start), v.By.Kind, v.By.Value, rel(v.By.Complete, start))
	}
	fmt.Fprintln(w, ":")
	var win []Op
	for _, o := range ops {
		if o.Key == v.Read.Key && !o.Complete.Before(from) && !o.Invoke.After(v.Read.Complete) {
			win = append(win, o)
		}
	}
	if len(win) > max {
		win = win[len(win)-max:]
	}
	for _, o := range win {
		fmt.Fprintf(w, "  %s..%s %-10s %-6s %s\n", rel(o.Invoke, start), rel(o.Complete, start), o.Client, o.Kind, describe(o))
	}
}

func describe(o Op) string {
	res := "ok"
	if !o.OK() {
		res = "err=" + o.Err
	}
	switch {
	case o.Kind == Write:
		return fmt.Sprintf("%q %s", o.Value, res)
	case o.Kind == Read && o.OK() && o.Found:
		return fmt.Sprintf("-> %q %s", o.Value, o.Tier)
	case o.Kind == Read && o.OK():
		return "-> miss " + o.Tier
	}
	return res
}

func rel(t, start time.Time) string {
	return fmt.Sprintf("%8.3fs", t.Sub(start).Seconds())
}
