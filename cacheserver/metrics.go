package cacheserver

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ringcache/ringcache/ring"
)

// Metrics. Every Server has its own Prometheus registry (nothing is
// registered globally) holding a collector that reads the counters INFO
// already keeps, at scrape time, plus Go runtime and process collectors.
// Names follow redis_exporter where the meaning is the same (redis_*), and
// ringcache_* for the cluster. docs/operations.md lists them.

// metricDef is one exported metric: its name, help and labels.
type metricDef struct {
	name, help string
	kind       prometheus.ValueType
	labels     []string
}

const (
	counter = prometheus.CounterValue
	gauge   = prometheus.GaugeValue
)

var metricDefs = []metricDef{
	{"redis_build_info", "Versions: ringcache, the Redis version it answers like, Go.", gauge, []string{"version", "redis_version", "go_version"}},
	{"redis_uptime_in_seconds", "Seconds since the server started.", gauge, nil},
	{"redis_commands_processed_total", "Commands received (INFO total_commands_processed), forwarded and refused ones included.", counter, nil},
	{"redis_commands_total", "Commands executed on this node, by command (forwarded commands count on their owner).", counter, []string{"cmd"}},
	{"redis_commands_rejected_calls_total", "Commands refused before running (arity, auth, MULTI queue-time, redirection), by command.", counter, []string{"cmd"}},
	{"redis_commands_failed_calls_total", "Commands that ran and replied an error, by command.", counter, []string{"cmd"}},
	{"redis_connections_received_total", "Connections accepted.", counter, nil},
	{"redis_rejected_connections_total", "Connections refused for maxclients.", counter, nil},
	{"redis_connected_clients", "Connected clients.", gauge, nil},
	{"redis_config_maxclients", "maxclients.", gauge, nil},
	{"redis_net_input_bytes_total", "Bytes read from clients.", counter, nil},
	{"redis_net_output_bytes_total", "Bytes written to clients.", counter, nil},
	{"redis_protocol_errors_total", "Connections closed for a RESP protocol error.", counter, nil},
	{"redis_errors_total", "Error replies by error prefix (INFO errorstats).", counter, []string{"err"}},
	{"redis_keyspace_hits_total", "Key lookups that found the key.", counter, nil},
	{"redis_keyspace_misses_total", "Key lookups that did not find the key.", counter, nil},
	{"redis_expired_keys_total", "Keys deleted because their TTL passed.", counter, nil},
	{"redis_evicted_keys_total", "Keys evicted for maxmemory.", counter, nil},
	{"redis_db_keys", "Keys held by this node.", gauge, []string{"db"}},
	{"redis_db_keys_expiring", "Keys with a TTL held by this node.", gauge, []string{"db"}},
	{"redis_memory_used_bytes", "Bytes the keyspace holds, as counted against maxmemory.", gauge, nil},
	{"redis_memory_max_bytes", "maxmemory (0: unlimited).", gauge, nil},
	{"ringcache_tracking_clients", "Clients with CLIENT TRACKING on.", gauge, nil},
	{"ringcache_tracking_keys", "Keys in the tracking table.", gauge, nil},
	{"ringcache_invalidations_sent_total", "Invalidation messages pushed to tracking clients.", counter, nil},
	{"ringcache_ready", "1 when /readyz answers 200.", gauge, nil},
	{"ringcache_cluster_enabled", "1 on a cluster member.", gauge, nil},
	{"ringcache_ring_epoch", "Low 52 bits of the ring digest: nodes agree on placement when the values are equal.", gauge, nil},
	{"ringcache_ring_members", "Members of the ring this node routes with.", gauge, nil},
	{"ringcache_owned_slots", "Slots (of 16384) this node owns.", gauge, nil},
	{"ringcache_ring_changes_total", "Rings built from membership changes.", counter, nil},
	{"ringcache_members", "Members gossip knows, by state (alive, leaving, left, failed).", gauge, []string{"state"}},
	{"ringcache_forwards_total", "Commands forwarded to their owner, by result (ok, error).", counter, []string{"result"}},
	{"ringcache_peer_connections", "Open connections to peers (forwarding pools).", gauge, nil},
	{"ringcache_peer_dials_total", "Connections dialled to peers, by result (ok, error).", counter, []string{"result"}},
	// Hand-off (handoff.go): the INFO ringcache_handoff_* fields.
	{"ringcache_handoff_enabled", "1 when hand-off of moved slots is on (--handoff-rate > 0).", gauge, nil},
	{"ringcache_handoff_in_slots", "Slots this node is copying from their previous owner now.", gauge, nil},
	{"ringcache_handoff_kept_slots", "Lost slots this node keeps until their new owner copied them.", gauge, nil},
	{"ringcache_handoff_warming", "1 while a joining node copies its slots (/readyz says warming).", gauge, nil},
	{"ringcache_handoff_keys_total", "Keys copied by hand-off, by direction (in: installed here, out: sent to a new owner).", counter, []string{"direction"}},
	{"ringcache_handoff_bytes_total", "Bytes copied by hand-off, by direction (in, out).", counter, []string{"direction"}},
	{"ringcache_handoff_read_throughs_total", "Keys of a slot still being copied read through from the previous owner.", counter, nil},
	{"ringcache_handoff_read_through_hits_total", "Read-throughs that found the key and installed it here.", counter, nil},
	{"ringcache_handoff_transfers_total", "Hand-offs this node received (one per previous owner and ring change).", counter, nil},
	{"ringcache_handoff_slots_copied_total", "Gained slots copied completely.", counter, nil},
	{"ringcache_handoff_slots_failed_total", "Gained slots whose copy failed (they started empty).", counter, nil},
	{"ringcache_handoff_kept_expired_total", "Kept slots dropped at --handoff-keep before their new owner copied them.", counter, nil},
}

// metricsCollector is the prometheus.Collector of a Server.
type metricsCollector struct {
	s        *Server
	descs    map[string]metricDesc
	duration *prometheus.Desc
}

type metricDesc struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

// newRegistry returns the Server's registry: its collector and the Go
// runtime and process collectors.
func newRegistry(s *Server) (*prometheus.Registry, error) {
	mc := &metricsCollector{s: s, descs: make(map[string]metricDesc, len(metricDefs)),
		duration: prometheus.NewDesc("redis_command_duration_seconds",
			"Time to execute a command on this node, sampled: one call in 64 per connection is timed.",
			[]string{"cmd"}, nil)}
	for _, d := range metricDefs {
		mc.descs[d.name] = metricDesc{prometheus.NewDesc(d.name, d.help, d.labels, nil), d.kind}
	}
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{mc, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// Describe implements prometheus.Collector.
func (mc *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range mc.descs {
		ch <- d.desc
	}
	ch <- mc.duration
}

// emitter sends one sample of a named metric.
type emitter func(name string, v float64, labels ...string)

// Collect implements prometheus.Collector.
func (mc *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	emit := func(name string, v float64, labels ...string) {
		d := mc.descs[name]
		ch <- prometheus.MustNewConstMetric(d.desc, d.kind, v, labels...)
	}
	s := mc.s
	s.collectServer(emit)
	s.collectCluster(emit)
	s.collectCommands(emit, mc.duration, ch)
}

// collectServer emits the redis_* metrics and the tracking ones.
func (s *Server) collectServer(emit emitter) {
	st := s.store.Stats()
	f := func(v int64) float64 { return float64(v) }
	emit("redis_build_info", 1, Version, redisVersion, runtime.Version())
	emit("redis_uptime_in_seconds", time.Since(s.start).Seconds())
	emit("redis_commands_processed_total", f(s.stats.commands.Load()))
	emit("redis_connections_received_total", f(s.stats.connsReceived.Load()))
	emit("redis_rejected_connections_total", f(s.stats.rejected.Load()))
	emit("redis_connected_clients", f(s.stats.connected.Load()))
	emit("redis_config_maxclients", f(s.live.maxClients.Load()))
	emit("redis_net_input_bytes_total", f(s.stats.netIn.Load()))
	emit("redis_net_output_bytes_total", f(s.stats.netOut.Load()))
	emit("redis_protocol_errors_total", f(s.stats.protoErrors.Load()))
	for code, n := range s.errStats.snapshot() {
		emit("redis_errors_total", f(n), code)
	}
	emit("redis_keyspace_hits_total", f(st.Hits))
	emit("redis_keyspace_misses_total", f(st.Misses))
	emit("redis_expired_keys_total", f(st.ExpiredKeys))
	emit("redis_evicted_keys_total", f(st.EvictedKeys))
	emit("redis_db_keys", f(st.Keys), "db0")
	emit("redis_db_keys_expiring", f(st.Expires), "db0")
	emit("redis_memory_used_bytes", f(st.UsedMemory))
	emit("redis_memory_max_bytes", f(st.MaxMemory))
	clients, keys, _, _ := s.track.trackingStats()
	emit("ringcache_tracking_clients", f(clients))
	emit("ringcache_tracking_keys", f(keys))
	emit("ringcache_invalidations_sent_total", f(s.track.sent.Load()))
	ready, _ := s.Ready()
	emit("ringcache_ready", boolGauge(ready))
}

// collectCluster emits the ringcache_* cluster metrics; a standalone node
// reports a one-member ring owning every slot, as INFO does.
func (s *Server) collectCluster(emit emitter) {
	st := s.cs.Load()
	emit("ringcache_cluster_enabled", boolGauge(st != nil))
	if st == nil {
		emit("ringcache_ring_members", 1)
		emit("ringcache_owned_slots", ring.SlotCount)
		return
	}
	r := st.view().r
	emit("ringcache_ring_epoch", float64(r.Epoch()&(1<<52-1)))
	emit("ringcache_ring_members", float64(r.Len()))
	emit("ringcache_owned_slots", float64(st.ownedSlots(r)))
	emit("ringcache_ring_changes_total", float64(st.cl.RingChanges()))
	states := map[string]int{"alive": 0, "leaving": 0, "left": 0, "failed": 0}
	for _, m := range st.cl.Members() {
		states[m.Status]++
	}
	for state, n := range states {
		emit("ringcache_members", float64(n), state)
	}
	var ok, failed, dials, dialErrs, open int64
	for i, p := range st.peers {
		if p == nil {
			continue
		}
		ps := p.Stats()
		if i != 0 { // [0] is the control pool: its calls are not forwards
			ok, failed = ok+ps.OK, failed+ps.Failed
		}
		dials, dialErrs, open = dials+ps.Dials, dialErrs+ps.DialErrors, open+ps.Conns
	}
	emit("ringcache_forwards_total", float64(ok), "ok")
	emit("ringcache_forwards_total", float64(failed), "error")
	emit("ringcache_peer_dials_total", float64(dials-dialErrs), "ok")
	emit("ringcache_peer_dials_total", float64(dialErrs), "error")
	emit("ringcache_peer_connections", float64(open))
	st.ho.collect(emit)
}

// collect emits the hand-off metrics, the counters INFO ringcache reports
// as ringcache_handoff_* (handoff_cmd.go info).
func (ho *handoff) collect(emit emitter) {
	if ho == nil {
		return
	}
	st := &ho.stats
	f := func(v int64) float64 { return float64(v) }
	emit("ringcache_handoff_enabled", boolGauge(ho.enabled()))
	emit("ringcache_handoff_in_slots", f(ho.nIn.Load()))
	emit("ringcache_handoff_kept_slots", float64(ho.kept()))
	emit("ringcache_handoff_warming", boolGauge(ho.warming()))
	emit("ringcache_handoff_keys_total", f(st.keysIn.Load()), "in")
	emit("ringcache_handoff_keys_total", f(st.keysOut.Load()), "out")
	emit("ringcache_handoff_bytes_total", f(st.bytesIn.Load()), "in")
	emit("ringcache_handoff_bytes_total", f(st.bytesOut.Load()), "out")
	emit("ringcache_handoff_read_throughs_total", f(st.readThroughs.Load()))
	emit("ringcache_handoff_read_through_hits_total", f(st.readThroughHits.Load()))
	emit("ringcache_handoff_transfers_total", f(st.transfers.Load()))
	emit("ringcache_handoff_slots_copied_total", f(st.slotsDone.Load()))
	emit("ringcache_handoff_slots_failed_total", f(st.slotsFailed.Load()))
	emit("ringcache_handoff_kept_expired_total", f(st.keptDropped.Load()))
}

// collectCommands emits the per-command counters of INFO commandstats
// and the duration histogram, for every command (subcommand of a
// container) called or rejected at least once.
func (s *Server) collectCommands(emit emitter, duration *prometheus.Desc, ch chan<- prometheus.Metric) {
	for _, ns := range s.cmds.allStats() { // subcommands as "config|get", as INFO
		st := ns.st
		emit("redis_commands_total", float64(st.calls.Load()), ns.name)
		emit("redis_commands_rejected_calls_total", float64(st.rejected.Load()), ns.name)
		emit("redis_commands_failed_calls_total", float64(st.failed.Load()), ns.name)
		if h, ok := st.duration.histogram(duration, ns.name); ok {
			ch <- h
		}
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
