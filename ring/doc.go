// Package ring maps keys to the nodes of a ringcache cluster.
//
// A key belongs to one of the 16384 Redis Cluster hash slots, computed exactly
// as Redis does (CRC16/XMODEM of the key or of its first non-empty {hash tag},
// modulo 16384), so Redis Cluster clients, cacheserver nodes and the Go SDK
// agree on every key. Slots are grouped into partitions of contiguous slots;
// partitions are assigned to members with consistent hashing with bounded
// loads (buraksezer/consistent's algorithm over xxhash, reimplemented over
// slices in placement.go): no member holds more than Load
// times the average, and a membership change moves few partitions. A Ring is
// an immutable value built from a member set and a Config. Building sorts the
// members by name, so every node and client that sees the same members builds
// the same placement, whatever order they learned of them in; the Ring's Epoch
// (a digest of config and members) tells two views apart. Lookups go through a
// precomputed slot table: O(1) and allocation-free. Build validates its inputs
// and never panics; Diff reports which slots changed owner between two rings.
package ring
