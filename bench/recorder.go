package bench

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 µs .. 60 s. Run histograms keep 3 significant digits;
// the per-second interval histograms keep 2 (a tenth of the memory), which
// still resolves a p99 to 1%.
const (
	histMinUs        = 1
	histMaxUs        = 60_000_000
	histDigits       = 3
	intervalDigits   = 2
	recorderShards   = 4
	intervalDuration = time.Second
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMinUs, histMaxUs, histDigits) }

// Recorder collects latencies and outcomes from concurrent workers. Worker
// w records into shard w%4 (each behind its own mutex, so contention stays
// low on few cores); Snapshot merges the shards.
type Recorder struct {
	start  time.Time
	shards [recorderShards]shard
}

type shard struct {
	mu        sync.Mutex
	perOp     [numOpTypes]*hdrhistogram.Histogram
	intervals []*interval
	lag       *hdrhistogram.Histogram
	wake      *hdrhistogram.Histogram
	errors    map[string]int64
	hits      int64
	misses    int64
}

type interval struct {
	hist                 *hdrhistogram.Histogram
	hits, misses, errors int64
}

// NewRecorder returns a Recorder whose interval 0 begins at start.
func NewRecorder(start time.Time) *Recorder {
	r := &Recorder{start: start}
	for i := range r.shards {
		s := &r.shards[i]
		for t := range s.perOp {
			s.perOp[t] = newHist()
		}
		s.errors = make(map[string]int64)
		s.lag, s.wake = newHist(), newHist()
	}
	return r
}

// RecordLag accounts how late an open-loop request was sent after its
// intended start (harness scheduling delay plus waiting for a free worker).
func (r *Recorder) RecordLag(worker int, lag time.Duration) {
	r.recordIn(worker, lag, func(s *shard) *hdrhistogram.Histogram { return s.lag })
}

// RecordWake accounts how late an open-loop worker that was waiting for its
// slot's time woke up (timer and scheduler delay of the generator alone).
func (r *Recorder) RecordWake(worker int, lag time.Duration) {
	r.recordIn(worker, lag, func(s *shard) *hdrhistogram.Histogram { return s.wake })
}

func (r *Recorder) recordIn(worker int, d time.Duration, hist func(*shard) *hdrhistogram.Histogram) {
	s := &r.shards[worker%recorderShards]
	us := min(max(d.Microseconds(), histMinUs), histMaxUs)
	s.mu.Lock()
	_ = hist(s).RecordValue(us)
	s.mu.Unlock()
}

// Record accounts one finished operation. lat is measured by the caller
// (from the intended start in open loop); end places it in an interval.
func (r *Recorder) Record(worker int, t OpType, lat time.Duration, end time.Time, out Outcome, err error) {
	s := &r.shards[worker%recorderShards]
	idx := max(int(end.Sub(r.start)/intervalDuration), 0)
	us := min(max(lat.Microseconds(), histMinUs), histMaxUs)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.intervals) <= idx {
		s.intervals = append(s.intervals, &interval{hist: hdrhistogram.New(histMinUs, histMaxUs, intervalDigits)})
	}
	iv := s.intervals[idx]
	if err != nil {
		s.errors[ErrorKind(err)]++
		iv.errors++
		return
	}
	_ = s.perOp[t].RecordValue(us)
	_ = iv.hist.RecordValue(us)
	switch out {
	case Hit:
		s.hits++
		iv.hits++
	case Miss:
		s.misses++
		iv.misses++
	}
}

// Stats is a merged view of a Recorder.
type Stats struct {
	PerOp     [numOpTypes]*hdrhistogram.Histogram
	Lag       *hdrhistogram.Histogram
	Wake      *hdrhistogram.Histogram
	Merged    *hdrhistogram.Histogram
	Intervals []IntervalStats
	Errors    map[string]int64
	Hits      int64
	Misses    int64
}

// IntervalStats is one second of a run.
type IntervalStats struct {
	Hist                 *hdrhistogram.Histogram
	Hits, Misses, Errors int64
}

// Snapshot merges the shards into a new Stats; it may run while workers
// record.
func (r *Recorder) Snapshot() *Stats {
	st := &Stats{Merged: newHist(), Lag: newHist(), Wake: newHist(), Errors: make(map[string]int64)}
	for t := range st.PerOp {
		st.PerOp[t] = newHist()
	}
	for i := range r.shards {
		r.shards[i].mergeInto(st)
	}
	for _, h := range st.PerOp {
		st.Merged.Merge(h)
	}
	return st
}

func (s *shard) mergeInto(st *Stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, h := range s.perOp {
		st.PerOp[t].Merge(h)
	}
	st.Lag.Merge(s.lag)
	st.Wake.Merge(s.wake)
	for k, v := range s.errors {
		st.Errors[k] += v
	}
	st.Hits += s.hits
	st.Misses += s.misses
	for len(st.Intervals) < len(s.intervals) {
		st.Intervals = append(st.Intervals, IntervalStats{Hist: hdrhistogram.New(histMinUs, histMaxUs, intervalDigits)})
	}
	for i, iv := range s.intervals {
		out := &st.Intervals[i]
		out.Hist.Merge(iv.hist)
		out.Hits += iv.hits
		out.Misses += iv.misses
		out.Errors += iv.errors
	}
}

// Last returns the ops and p99 (µs) of the most recent complete interval
// before now, for the progress line.
func (r *Recorder) Last(now time.Time) (ops int64, p99us int64) {
	idx := int(now.Sub(r.start)/intervalDuration) - 1
	if idx < 0 {
		return 0, 0
	}
	h := hdrhistogram.New(histMinUs, histMaxUs, intervalDigits)
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		if idx < len(s.intervals) {
			h.Merge(s.intervals[idx].hist)
			ops += s.intervals[idx].errors
		}
		s.mu.Unlock()
	}
	return ops + h.TotalCount(), h.ValueAtQuantile(99)
}
