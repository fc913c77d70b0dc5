package forward

import "sync/atomic"

// Stats are a pool's counters, for metrics.
type Stats struct {
	OK         int64 // commands whose reply arrived
	Failed     int64 // commands that failed: peer unreachable, timeout, connection lost, pool closed
	Dials      int64 // connections dialled (handshake included), successful or not
	DialErrors int64 // dials or handshakes that failed
	Conns      int64 // connections open now
}

// counters are a pool's live counters.
type counters struct {
	ok, failed, dials, dialErrors, conns atomic.Int64
}

// Stats returns the pool's counters.
func (p *Pool) Stats() Stats {
	c := &p.stats
	return Stats{OK: c.ok.Load(), Failed: c.failed.Load(), Dials: c.dials.Load(),
		DialErrors: c.dialErrors.Load(), Conns: c.conns.Load()}
}

// count records the outcome of one forwarded command.
func (c *counters) count(err error) {
	if err != nil {
		c.failed.Add(1)
	} else {
		c.ok.Add(1)
	}
}

// dialed records the outcome of one dial.
func (c *counters) dialed(err error) {
	c.dials.Add(1)
	if err != nil {
		c.dialErrors.Add(1)
	} else {
		c.conns.Add(1)
	}
}
