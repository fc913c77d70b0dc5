// Package acl is the model of Redis 7 access control lists: users with
// passwords (stored as SHA-256 hex, as Redis does), an on/off switch, the
// commands they may run (a bit per command and subcommand of a Catalog),
// the keys they may read or write (glob patterns with R/W flags) and the
// Pub/Sub channels they may use, all set by Redis's ACL SETUSER rules
// ("on", ">pass", "~key:*", "%R~ro:*", "&chan", "+@read", "-flushall",
// "+client|id", ...).
//
// A User is immutable once built: Apply returns a changed copy, so a
// server can publish users with an atomic pointer and check permissions
// on the hot path without locks. Describe gives the rules that rebuild a
// user (ACL LIST, ACL SAVE); command rules keep Redis 7.2's lossless,
// order-preserving compaction. Glob matching is Redis's stringmatch
// (store.Match, iterative: no pattern can make it take exponential time).
// The package knows nothing of the server: the server builds the Catalog
// from its command table.
package acl
