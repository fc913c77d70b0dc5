// Package client is the ringcache Go SDK: a two-tier read-through cache.
//
// Get looks in the in-process tier (L1, a ristretto cache) first; on a miss
// it asks the node that owns the key's slot, in one network hop, using the
// slot table read from any seed with CLUSTER SHARDS; on a cluster miss it
// loads the value from the origin (a Loader: Redis, SQLite, PostgreSQL, or
// any function), once per key per process at a time (singleflight), writes
// it back to the cluster with a jittered TTL and fills L1. L1 stays coherent
// through server-sent invalidations: the client keeps one RESP3 connection
// per node that receives them, for the keys this client read into L1 (opt-in
// tracking, the default: tracking.go) or for every key or prefix (BCAST),
// and a written key is dropped from L1 as the push arrives. An invalidation that races with a
// fill cannot leave a stale value behind: every L1 entry carries the
// invalidation counter of its key and the epoch of its slot as they were
// before the fill read the value, and is served only while both are
// unchanged, and only while the node's invalidation lease is current: pings on
// the invalidation connection prove which invalidations have been applied,
// so an L1 read never misses a write acknowledged more than
// L1.MaxStaleness earlier. Losing a node's invalidation connection hides the
// L1 entries of that node's slots until it is back; a
// ring change hides the slots that moved; a write by this client hides the
// key at once (read-your-writes). L1 entries also expire after L1.MaxTTL, a
// backstop for invalidations lost without the connection failing. Nodes and
// the origin sit behind circuit breakers: a dead node fails fast and the
// read goes to the origin; a node failure is never taken for a miss. Origin
// loads go through the node's leases (LEASEGET/LEASESET, lease.go): one
// load per key cluster-wide, and a value loaded before a concurrent
// update and Invalidate is refused instead of written back. New does not
// need a reachable cluster (degraded.go). An origin "not found" is shared
// through the cluster for NegativeTTL (negative.go); origin breakers may be
// per key group (origingroups.go); reads that do not fill L1 may go to a
// slot's replicas (readpolicy.go).
package client
