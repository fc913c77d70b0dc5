// Package promcollector exports a ringcache SDK client's counters to
// Prometheus. It is a package of its own so that programs not using
// Prometheus do not link it. A Collector reads Client.Stats at each scrape
// (every field, L1 size included) and times the Gets that left L1 through
// Client.ObserveLatency; nothing is registered globally. Several clients
// can share a registry when their collectors have distinct ConstLabels
// (or Namespaces).
package promcollector

import (
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringcache/ringcache/client"
)

// Options configures a Collector.
type Options struct {
	// Namespace prefixes every metric name. Default "ringcache_client".
	Namespace string
	// ConstLabels are added to every metric (e.g. {"client": "profiles"}),
	// so that several clients can be registered on one registry.
	ConstLabels prometheus.Labels
	// Buckets are the Get duration histogram's, in seconds. Default 16
	// exponential buckets from 50µs.
	Buckets []float64
}

// DefaultOptions returns the defaults documented on each field.
func DefaultOptions() Options {
	return Options{Namespace: "ringcache_client", Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16)}
}

// Collector is a prometheus.Collector for one client.
type Collector struct {
	c       *client.Client
	latency *prometheus.HistogramVec
	descs   map[string]*prometheus.Desc
}

// counters are the Stats fields exported as counters (name → help);
// gauges below.
var counters = []struct{ name, help string }{
	{"origin_loads_total", "Origin loads started."},
	{"origin_loads_deduplicated_total", "Gets that waited on another caller's load."},
	{"negative_hits_total", "Gets answered by a cached not-found."},
	{"stale_served_total", "Stale values served because the origin failed."},
	{"write_back_errors_total", "Write-backs to the cluster that failed."},
	{"invalidations_total", "Invalidation messages received."},
	{"invalidation_connection_losses_total", "Invalidation connections lost."},
	{"slot_table_refreshes_total", "Slot table refreshes requested."},
	{"l1_lease_lapsed_total", "L1 entries bypassed because their node's invalidation lease had lapsed."},
	{"lease_waits_total", "LEASEGETs answered WAIT (another process was loading the key)."},
	{"lease_refused_total", "Origin values not written back: the node refused the LEASESET or failed."},
	{"outage_served_total", "Gets answered stale from L1 while their node was unreachable."},
	{"early_refreshes_total", "Background reloads before expiry that took the lease."},
	{"l1_sets_dropped_total", "L1 sets dropped by ristretto (buffer full)."},
	{"l1_sets_rejected_total", "L1 sets rejected by admission."},
}

// New returns a collector for c; register it on a registry of your choice.
// It starts timing c's Gets that miss L1 (replacing any other
// ObserveLatency observer).
func New(c *client.Client, o Options) (*Collector, error) {
	def := DefaultOptions()
	if o.Namespace == "" {
		o.Namespace = def.Namespace
	}
	if o.Buckets == nil {
		o.Buckets = def.Buckets
	}
	if strings.ContainsAny(o.Namespace, " -.") {
		return nil, errors.New("promcollector: Namespace must be a metric name prefix")
	}
	if c == nil {
		return nil, errors.New("promcollector: nil client")
	}
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: o.Namespace + "_get_duration_seconds", Help: "Duration of Gets that missed L1, by the tier that answered.",
		Buckets: o.Buckets, ConstLabels: o.ConstLabels,
	}, []string{"tier"})
	col := &Collector{c: c, latency: h, descs: map[string]*prometheus.Desc{}}
	d := func(name, help string, labels ...string) {
		col.descs[name] = prometheus.NewDesc(o.Namespace+"_"+name, help, labels, o.ConstLabels)
	}
	d("requests_total", "Gets by tier and result.", "tier", "result")
	for _, m := range counters {
		d(m.name, m.help)
	}
	d("l1_entries", "Entries in L1 (admitted minus evicted).")
	d("l1_bytes", "Bytes L1 holds by its cost measure (admitted minus evicted).")
	d("breaker_open", "1 when the breaker is open, 0.5 half-open, 0 closed.", "breaker")
	c.ObserveLatency(func(tier client.Tier, d time.Duration) {
		h.WithLabelValues(tier.String()).Observe(d.Seconds())
	})
	return col, nil
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
	emit := func(name string, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(col.descs[name], t, v, labels...)
	}
	for _, t := range []struct {
		name string
		ts   client.TierStats
	}{{"l1", s.L1}, {"remote", s.Remote}, {"origin", s.Origin}} {
		emit("requests_total", prometheus.CounterValue, float64(t.ts.Hits), t.name, "hit")
		emit("requests_total", prometheus.CounterValue, float64(t.ts.Misses), t.name, "miss")
		emit("requests_total", prometheus.CounterValue, float64(t.ts.Errors), t.name, "error")
	}
	vals := []int64{s.Loads, s.SharedLoads, s.NegativeHits, s.StaleServed, s.WriteBackErrors, s.Invalidations,
		s.InvalidationLosses, s.Refreshes, s.L1LeaseLapsed, s.LeaseWaits, s.LeaseRefused, s.OutageServed,
		s.EarlyRefreshes, s.L1Dropped, s.L1Rejected}
	for i, m := range counters {
		emit(m.name, prometheus.CounterValue, float64(vals[i]))
	}
	emit("l1_entries", prometheus.GaugeValue, float64(s.L1Keys))
	emit("l1_bytes", prometheus.GaugeValue, float64(s.L1Cost))
	for name, state := range s.Breakers {
		emit("breaker_open", prometheus.GaugeValue, map[string]float64{"open": 1, "half-open": 0.5}[state], name)
	}
	col.latency.Collect(ch)
}
