package bench

import (
	"fmt"
	"io"
	"math"
	"time"
)

// suiteStep is one planned step of the suite and its time estimate.
type suiteStep struct {
	key string
	est time.Duration
}

// suiteProgress writes one line per suite step: elapsed time, an ETA from
// the estimates of the steps left, the step number and what runs. The plan
// is written first, so the suite says what it does from its first second.
type suiteProgress struct {
	w     io.Writer // nil: quiet
	live  bool      // w also gets Run's live \r lines: clear them first
	start time.Time
	plan  []suiteStep
	next  int       // index of the next planned step
	cur   time.Time // start of the current step
	now   func() time.Time
}

func newSuiteProgress(cfg SuiteConfig, targets []string) *suiteProgress {
	p := &suiteProgress{w: cfg.Steps, live: cfg.Steps != nil && cfg.Steps == cfg.Progress, now: time.Now}
	p.start, p.cur = p.now(), p.now()
	p.plan = suitePlan(cfg, targets)
	if p.w != nil {
		var total time.Duration
		for _, s := range p.plan {
			total += s.est
		}
		p.printf("suite: %d steps over %d targets, about %s (estimate); one line per step below", len(p.plan), len(targets), clock(total))
	}
	return p
}

// step marks the start of the planned step key (unplanned keys are
// printed without a number) and prints its line; what describes it.
func (p *suiteProgress) step(key, what string) {
	if p == nil || p.w == nil {
		return
	}
	now := p.now()
	p.cur = now
	idx := -1
	for i := p.next; i < len(p.plan); i++ {
		if p.plan[i].key == key {
			idx = i
			break
		}
	}
	num := "  "
	if idx >= 0 {
		p.next = idx + 1
		num = fmt.Sprintf("%d/%d", idx+1, len(p.plan))
	}
	left := time.Duration(0)
	if idx >= 0 {
		left = p.plan[idx].est
	}
	for _, s := range p.plan[p.next:] {
		left += s.est
	}
	p.printf("[%s elapsed | ETA %s | %s] %s", clock(now.Sub(p.start)), clock(left), num, what)
}

// done prints the final line.
func (p *suiteProgress) done() {
	if p != nil && p.w != nil {
		p.printf("[%s elapsed] suite done; writing the report", clock(p.now().Sub(p.start)))
	}
}

func (p *suiteProgress) printf(format string, args ...any) {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// clock formats d as m:ss.
func clock(d time.Duration) string {
	s := int(math.Round(d.Seconds()))
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Estimates of the steps that are not a timed run. Rough: they only make the
// ETA, which is recomputed at every step.
const (
	estStartServer  = time.Second
	estStartCluster = 4 * time.Second
	preloadPerSec   = 40000 // records loaded per second
	replayPerSec    = 150000
)

// suitePlan lists the steps RunSuite will take for cfg with the given
// target labels, in order, with their estimates.
func suitePlan(cfg SuiteConfig, targets []string) []suiteStep {
	var plan []suiteStep
	add := func(key string, est time.Duration) { plan = append(plan, suiteStep{key, est}) }
	preload := time.Duration(float64(cfg.Records) / preloadPerSec * float64(time.Second))
	for _, t := range targets {
		add("start "+t, estStartServer)
	}
	closed := max(cfg.Closed.Warmup, 0) + cfg.Closed.Duration
	for _, l := range cfg.Workloads {
		for _, t := range targets {
			add("load "+l+" "+t, preload)
		}
		for r := range cfg.Rounds {
			for _, t := range targets {
				add(fmt.Sprintf("closed %s %s r%d", l, t, r+1), closed)
			}
		}
	}
	step := max(cfg.Sweep.Warmup, 0) + cfg.Sweep.StepDuration
	for _, t := range targets {
		add("load sweep "+t, preload)
		add("sweep "+t, time.Duration(sweepSteps(cfg.Sweep))*step)
		add("points "+t, time.Duration(len(cfg.Points))*step)
	}
	if s := cfg.SDK; s != nil {
		run := max(s.Load.Warmup, 0) + s.Load.Duration
		add("sdk", estStartCluster+preload+time.Duration(len(s.L1))*(run+preload))
	}
	if h := cfg.HitRatio; h != nil {
		runs := len(h.Budgets) * len(h.Policies) * 2
		add("hitratio", time.Duration(runs)*(estStartServer+time.Duration(float64(h.Requests)/replayPerSec*float64(time.Second))))
	}
	return plan
}

// sweepSteps is the most steps cfg can take.
func sweepSteps(cfg SweepConfig) int {
	n := 0
	for rate := cfg.StartRate; rate <= cfg.MaxRate && n < 1000; rate = cfg.next(rate) {
		n++
	}
	return max(n, cfg.MinSteps)
}
