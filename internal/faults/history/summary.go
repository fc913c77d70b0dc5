package history

import (
	"strings"
	"time"
)

// Summary holds the figures of a run that are not rule checks.
type Summary struct {
	Ops    int            `json:"ops"`
	Reads  int            `json:"reads"`
	Writes int            `json:"writes"` // writes and deletes
	Errors map[string]int `json:"errors"` // by kind
	ErrOps int            `json:"error_ops"`
	// ByClient counts the failed operations per client kind (the client
	// name up to its first '-').
	ByClient map[string]int `json:"errors_by_client"`
	MaxLat   time.Duration  `json:"max_latency_ns"`
	L1Reads  int            `json:"l1_reads"`
	// Unavailable is the longest burst of failed operations (by any
	// client, on any key): from the first failure's invocation to the last
	// one's completion, a burst ending when no failure starts within
	// 500ms. UnavailableAt is when it began.
	Unavailable   time.Duration `json:"unavailable_ns"`
	UnavailableAt time.Time     `json:"unavailable_at"`
	// Hit ratios (found / successful reads) before the fault, during it,
	// and after it ended.
	HitBefore float64 `json:"hit_before"`
	HitDuring float64 `json:"hit_during"`
	HitAfter  float64 `json:"hit_after"`
}

// Summarize computes the figures of ops (ordered by invocation) for a
// fault in [faultStart, faultEnd).
func Summarize(ops []Op, faultStart, faultEnd time.Time) Summary {
	s := Summary{Ops: len(ops), Errors: map[string]int{}, ByClient: map[string]int{}}
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
			kind, _, _ := strings.Cut(o.Client, "-")
			s.ByClient[kind]++
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
	s.Unavailable, s.UnavailableAt = unavailable(ops)
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

// unavailable returns the longest burst of failures: failed operations
// whose invocations follow the previous failure's completion by less than
// burstGap, from the first invocation to the last completion.
func unavailable(ops []Op) (time.Duration, time.Time) {
	var worst, cur time.Duration
	var worstAt, from, to time.Time
	for _, o := range ops { // ordered by invocation
		if o.OK() {
			continue
		}
		if from.IsZero() || o.Invoke.Sub(to) >= burstGap {
			from, to = o.Invoke, o.Complete
		} else if o.Complete.After(to) {
			to = o.Complete
		}
		if cur = to.Sub(from); cur > worst {
			worst, worstAt = cur, from
		}
	}
	return worst, worstAt
}

// burstGap separates two bursts of failures.
const burstGap = 500 * time.Millisecond
