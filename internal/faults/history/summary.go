package history

import (
	"time"
)

// Summary holds the figures of a run that are not rule checks.
type Summary struct {
	Ops     int            `json:"ops"`
	Reads   int            `json:"reads"`
	Writes  int            `json:"writes"` // writes and deletes
	Errors  map[string]int `json:"errors"` // by kind
	ErrOps  int            `json:"error_ops"`
	MaxLat  time.Duration  `json:"max_latency_ns"`
	L1Reads int            `json:"l1_reads"`
	// Unavailable is the longest time a key could not be operated on: from
	// the invocation of a failed operation to the completion of the next
	// successful one on the same key (or the end of the history), the
	// maximum over keys.
	Unavailable    time.Duration `json:"unavailable_ns"`
	UnavailableKey string        `json:"unavailable_key,omitempty"`
	UnavailableAt  time.Time     `json:"unavailable_at"` // when that window began
	// Hit ratios (found / successful reads) before the fault, during it,
	// and after it ended.
	HitBefore float64 `json:"hit_before"`
	HitDuring float64 `json:"hit_during"`
	HitAfter  float64 `json:"hit_after"`
}

// Summarize computes the figures of ops (ordered by invocation) for a
// fault in [faultStart, faultEnd).
func Summarize(ops []Op, faultStart, faultEnd time.Time) Summary {
	s := Summary{Ops: len(ops), Errors: map[string]int{}}
	var hits, reads [3]int
	for _, o := range ops {
		if lat := o.Complete.Sub(o.Invoke); lat > s.MaxLat {
			s.MaxLat = lat
		}
		if o.Kind == Read {
			s.Reads++
		} else {
			s.Writes++
		}
		if !o.OK() {
			s.Errors[o.Err]++
			s.ErrOps++
			continue
		}
		if o.Kind != Read {
			continue
		}
		if o.Tier == "l1" {
			s.L1Reads++
		}
		p := phase(o.Invoke, faultStart, faultEnd)
		reads[p]++
		if o.Found {
			hits[p]++
		}
	}
	s.HitBefore, s.HitDuring, s.HitAfter = ratio(hits[0], reads[0]), ratio(hits[1], reads[1]), ratio(hits[2], reads[2])
	s.Unavailable, s.UnavailableKey, s.UnavailableAt = unavailable(ops)
	return s
}

func phase(t, start, end time.Time) int {
	switch {
	case t.Before(start):
		return 0
	case t.Before(end):
		return 1
	}
	return 2
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// unavailable returns the longest failure run over keys.
func unavailable(ops []Op) (time.Duration, string, time.Time) {
	if len(ops) == 0 {
		return 0, "", time.Time{}
	}
	end := ops[0].Complete
	for _, o := range ops {
		if o.Complete.After(end) {
			end = o.Complete
		}
	}
	var worst time.Duration
	var worstKey string
	var worstAt time.Time
	failed := map[string]time.Time{} // key -> invocation of its first failure in the current run
	note := func(key string, t0, t1 time.Time) {
		if d := t1.Sub(t0); d > worst {
			worst, worstKey, worstAt = d, key, t0
		}
	}
	for _, o := range ops {
		t0, failing := failed[o.Key]
		switch {
		case !o.OK() && !failing:
			failed[o.Key] = o.Invoke
		case o.OK() && failing && !o.Invoke.Before(t0):
			note(o.Key, t0, o.Complete)
			delete(failed, o.Key)
		}
	}
	for key, t0 := range failed {
		note(key, t0, end)
	}
	return worst, worstKey, worstAt
}
