// Package bench is ringcache's load harness: it drives a Target (raw RESP
// against ringcache or redis-server, or the ringcache Go SDK over a cluster
// and an origin it fills: SQLite, Redis or PostgreSQL) with a
// YCSB-style Workload — an operation mix (read/update/insert/delete/
// read-modify-write), a key distribution (uniform, YCSB Zipfian and scrambled
// Zipfian with θ in (0,1), hotspot, latest) and a value-size distribution —
// under a closed-loop model (N workers, each sending its next request when the
// previous one returns) or an open-loop model (a fixed arrival rate whose
// latency is measured from each request's intended start time, so a stall is
// charged to every request scheduled during it rather than hidden, which is
// the coordinated-omission correction). Latencies go into HdrHistograms
// (1 µs .. 60 s, 3 significant digits), per operation type, merged, and per
// one-second interval. A run yields a Result (stable JSON schema, CSV row,
// PNG plots); a Sweep raises the offered rate until the p99 exceeds an SLO or
// errors appear and reports the breaking point; Compare interleaves two
// targets in rounds (A B A B …) and reports ratios of medians. Two replays
// complete it: RunOffload (origin queries per 1000 SDK Gets and the share
// each tier served) and RunHitRatio (one cache-aside trace against
// redis-server and cacheserver at the same maxmemory).
package bench
