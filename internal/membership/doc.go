// Package membership tells a cacheserver node who else is in its cluster.
//
// It runs hashicorp/serf (SWIM gossip via memberlist) with the node's tags
// (RESP address, zone, version, ring-config digest). Serf coalesces bursts of
// member events; after each burst the package calls the owner's OnChange
// callback once, from one goroutine, with the full list of alive members, so
// the owner rebuilds its ring once per burst. A peer whose tags the Admit
// function rejects (for example a different ring configuration) is refused at
// the gossip layer and never appears. Joining retries with exponential
// backoff until one seed answers; Leave broadcasts a graceful departure, so
// peers record "left" rather than "failed"; a node restarted under the same
// name at a new address is accepted once its old incarnation has been dead
// for DeadNodeReclaimTime. With Keys (or a KeyringFile) gossip is encrypted
// with AES-GCM: a node without a matching key can neither join nor be
// heard, and Keyring installs, uses, removes or lists keys on every member
// (a serf query), so keys rotate without downtime. serf and memberlist log
// through log/slog.
package membership
