package cacheserver

import (
	"strconv"

	"fmt"
	"github.com/ringcache/ringcache/internal/route"
	"github.com/ringcache/ringcache/ring"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

// infoSection writes one INFO section's "field:value" lines.
type infoSection struct {
	name  string
	write func(s *Server, b *strings.Builder)
}

// infoSections are the sections in Redis's order; "default" and "all" print
// them all.
var infoSections = []infoSection{
	{"Server", (*Server).infoServer},
	{"Clients", (*Server).infoClients},
	{"Memory", (*Server).infoMemory},
	{"Persistence", (*Server).infoPersistence},
	{"Stats", (*Server).infoStats},
	{"Replication", (*Server).infoReplication},
	{"CPU", (*Server).infoCPU},
	{"Commandstats", (*Server).infoCommandstats},
	{"Errorstats", (*Server).infoErrorstats},
	{"Cluster", (*Server).infoCluster},
	{"Keyspace", (*Server).infoKeyspace},
	{"Ringcache", (*Server).infoRingcache},
}

func infoCmd(c *conn, args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := want["all"] || want["everything"]
	def := all || len(want) == 0 || want["default"]
	var b strings.Builder
	for _, sec := range infoSections {
		name := strings.ToLower(sec.name)
		if !want[name] && !all && !(def && name != "commandstats") {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + sec.name + "\r\n")
		sec.write(c.srv, &b)
	}
	c.w.WriteVerbatim("txt", b.String())
}

func field(b *strings.Builder, name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

// redisMode is INFO's redis_mode and HELLO's mode: cluster on a node that
// joins a cluster, standalone otherwise.
func (s *Server) redisMode() string {
	if s.cs.Load() != nil {
		return "cluster"
	}
	return "standalone"
}

func (s *Server) infoServer(b *strings.Builder) {
	up := time.Since(s.start)
	field(b, "redis_version", redisVersion)
	field(b, "redis_git_sha1", "00000000")
	field(b, "redis_git_dirty", 0)
	field(b, "ringcache_version", Version)
	field(b, "redis_mode", s.redisMode())
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", 64)
	field(b, "multiplexing_api", "goroutines")
	field(b, "go_version", runtime.Version())
	field(b, "process_id", os.Getpid())
	field(b, "run_id", fmt.Sprintf("%040x", s.start.UnixNano()))
	field(b, "tcp_port", s.port())
	field(b, "server_time_usec", time.Now().UnixMicro())
	field(b, "uptime_in_seconds", int64(up.Seconds()))
	field(b, "uptime_in_days", int64(up.Hours()/24))
	field(b, "hz", 10)
	field(b, "executable", executable())
	field(b, "config_file", "")
}

func executable() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}

// port returns the TCP port of the first listener, 0 before Serve.
func (s *Server) port() int {
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

func (s *Server) infoClients(b *strings.Builder) {
	field(b, "connected_clients", s.stats.connected.Load())
	field(b, "cluster_connections", 0)
	field(b, "maxclients", s.live.maxClients.Load())
	field(b, "client_recent_max_input_buffer", 0)
	field(b, "client_recent_max_output_buffer", 0)
	field(b, "blocked_clients", 0)
	field(b, "tracking_clients", s.track.active.Load())
	field(b, "clients_in_timeout_table", 0)
}

func (s *Server) infoMemory(b *strings.Builder) {
	st := s.store.Stats()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	field(b, "used_memory", st.UsedMemory)
	field(b, "used_memory_human", humanBytes(st.UsedMemory))
	field(b, "used_memory_rss", ms.Sys-ms.HeapReleased)
	field(b, "used_memory_rss_human", humanBytes(int64(ms.Sys-ms.HeapReleased)))
	field(b, "used_memory_peak", st.UsedMemory)
	field(b, "used_memory_dataset", st.LiveBytes)
	field(b, "go_heap_alloc", ms.HeapAlloc)
	field(b, "go_gc_cycles", ms.NumGC)
	field(b, "maxmemory", st.MaxMemory)
	field(b, "maxmemory_human", humanBytes(st.MaxMemory))
	field(b, "maxmemory_policy", st.Policy.String())
	field(b, "mem_clients_slaves", 0)
	field(b, "mem_clients_normal", s.cmem.total.Load())
	field(b, "mem_not_counted_for_evict", 0)
	field(b, "lazyfree_pending_objects", 0) // memory is freed at once (or by the GC)
	frag := 1.0
	if st.UsedMemory > 0 {
		frag = float64(ms.Sys-ms.HeapReleased) / float64(st.UsedMemory)
	}
	field(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", frag))
	field(b, "mem_allocator", "go")
}

// humanBytes formats n like Redis's bytesToHuman ("1.50M").
func humanBytes(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		unit string
		size float64
	}{{"P", 1 << 50}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if f >= u.size {
			return fmt.Sprintf("%.2f%s", f/u.size, u.unit)
		}
	}
	return fmt.Sprintf("%dB", n)
}

func (s *Server) infoPersistence(b *strings.Builder) {
	field(b, "loading", 0)
	field(b, "rdb_changes_since_last_save", 0)
	field(b, "rdb_bgsave_in_progress", 0)
	field(b, "aof_enabled", 0)
}

func (s *Server) infoStats(b *strings.Builder) {
	st := s.store.Stats()
	field(b, "total_connections_received", s.stats.connsReceived.Load())
	field(b, "total_commands_processed", s.stats.commands.Load())
	field(b, "instantaneous_ops_per_sec", s.stats.opsPerSec.Load())
	field(b, "total_net_input_bytes", s.stats.netIn.Load())
	field(b, "total_net_output_bytes", s.stats.netOut.Load())
	field(b, "rejected_connections", s.stats.rejected.Load())
	field(b, "expired_keys", st.ExpiredKeys)
	field(b, "evicted_keys", st.EvictedKeys)
	field(b, "evicted_clients", s.cmem.evicted.Load())
	field(b, "keyspace_hits", st.Hits)
	field(b, "keyspace_misses", st.Misses)
	field(b, "pubsub_channels", s.pubsub.numChannels())
	s.infoTracking(b)
	field(b, "total_error_replies", s.totalErrors())
	field(b, "protocol_errors", s.stats.protoErrors.Load())
	s.acl.log.infoStats(b) // acl_log.go
}

func (s *Server) totalErrors() int64 {
	var n int64
	for _, v := range s.errStats.snapshot() {
		n += v
	}
	return n
}

func (s *Server) infoReplication(b *strings.Builder) {
	s.infoReplicationSection(b) // repl_cmds.go
}

func (s *Server) infoCPU(b *strings.Builder) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) string {
		return fmt.Sprintf("%.6f", float64(t.Sec)+float64(t.Usec)/1e6)
	}
	field(b, "used_cpu_sys", tv(ru.Stime))
	field(b, "used_cpu_user", tv(ru.Utime))
}

func (s *Server) infoErrorstats(b *strings.Builder) {
	m := s.errStats.snapshot()
	codes := make([]string, 0, len(m))
	for k := range m {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", k, m[k])
	}
}

func (s *Server) infoCluster(b *strings.Builder) {
	if s.cs.Load() == nil {
		field(b, "cluster_enabled", 0)
		return
	}
	field(b, "cluster_enabled", 1)
}

// infoRingcache is ringcache's own section: the ring this node routes
// with. A standalone node is a one-member ring owning every slot.
func (s *Server) infoRingcache(b *strings.Builder) {
	st := s.cs.Load()
	if st == nil {
		field(b, "ringcache_members", 1)
		field(b, "ringcache_ring_epoch", 0)
		field(b, "ringcache_owned_slots", ring.SlotCount)
		return
	}
	v := st.view()
	redirect := "forward"
	if st.mode == route.Moved {
		redirect = "moved"
	}
	field(b, "ringcache_node", st.self)
	field(b, "ringcache_members", v.r.Len())
	field(b, "ringcache_ring_epoch", strconv.FormatUint(v.r.Epoch(), 16))
	field(b, "ringcache_owned_slots", st.ownedSlots(v.r))
	field(b, "ringcache_joined", st.joined())
	field(b, "ringcache_lease", st.cl.Leased())
	field(b, "ringcache_ring_settled", st.settled())
	field(b, "ringcache_lease_ms", st.cl.LeaseTTL().Milliseconds())
	lapses, fences := st.cl.LeaseLapses()
	field(b, "ringcache_lease_lapses", lapses)
	field(b, "ringcache_lease_fences", fences)
	field(b, "ringcache_redirect", redirect)
	field(b, "ringcache_ring_changes", st.cl.RingChanges())
	st.ho.info(func(name string, v any) { field(b, name, v) }) // handoff_cmd.go
}

func (s *Server) infoKeyspace(b *strings.Builder) {
	st := s.store.Stats()
	if st.Keys > 0 {
		fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=%d\r\n", st.Keys, st.Expires, 0)
	}
}
