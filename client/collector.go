package client

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Client's counters to Prometheus under the prefix
// ringcache_client_. Register it on a registry of your choice; nothing is
// registered globally.
type Collector struct {
	c       *Client
	latency *prometheus.HistogramVec
	descs   map[string]*prometheus.Desc
}

// NewCollector returns a collector for c and starts timing Gets that miss
// L1 into ringcache_client_get_duration_seconds{tier}.
func NewCollector(c *Client) *Collector {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ringcache_client_get_duration_seconds",
		Help:    "Duration of Gets that missed L1, by the tier that answered.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
	}, []string{"tier"})
	c.stats.latency.Store(h)
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("ringcache_client_"+name, help, labels, nil)
	}
	return &Collector{c: c, latency: h, descs: map[string]*prometheus.Desc{
		"requests":      d("requests_total", "Gets by tier and result.", "tier", "result"),
		"loads":         d("origin_loads_total", "Origin loads started."),
		"shared":        d("origin_loads_deduplicated_total", "Gets that shared another caller's load."),
		"negative":      d("negative_hits_total", "Gets answered by a cached not-found."),
		"stale":         d("stale_served_total", "Stale values served because the origin failed."),
		"invalidations": d("invalidations_total", "Invalidation messages received."),
		"l1dropped":     d("l1_sets_dropped_total", "L1 sets dropped by ristretto."),
		"l1rejected":    d("l1_sets_rejected_total", "L1 sets rejected by admission."),
		"breaker":       d("breaker_open", "1 when the breaker is open, 0.5 half-open, 0 closed.", "breaker"),
	}}
}

// Describe implements prometheus.Collector.
func (col *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range col.descs {
		ch <- d
	}
	col.latency.Describe(ch)
}

// Collect implements prometheus.Collector.
func (col *Collector) Collect(ch chan<- prometheus.Metric) {
	s := col.c.Stats()
	counter := func(name string, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(col.descs[name], prometheus.CounterValue, float64(v), labels...)
	}
	for _, t := range []struct {
		name string
		ts   TierStats
	}{{"l1", s.L1}, {"remote", s.Remote}, {"origin", s.Origin}} {
		counter("requests", t.ts.Hits, t.name, "hit")
		counter("requests", t.ts.Misses, t.name, "miss")
		counter("requests", t.ts.Errors, t.name, "error")
	}
	counter("loads", s.Loads)
	counter("shared", s.SharedLoads)
	counter("negative", s.NegativeHits)
	counter("stale", s.StaleServed)
	counter("invalidations", s.Invalidations)
	counter("l1dropped", s.L1Dropped)
	counter("l1rejected", s.L1Rejected)
	for name, state := range s.Breakers {
		v := map[string]float64{"open": 1, "half-open": 0.5}[state]
		ch <- prometheus.MustNewConstMetric(col.descs["breaker"], prometheus.GaugeValue, v, name)
	}
	col.latency.Collect(ch)
}
