// Package faults is the fault suite: it runs a real cluster of cacheserver
// processes (internal/launch), drives a recorded workload through three
// kinds of clients (a plain go-redis client of one node in forward mode, a
// go-redis ClusterClient, and the SDK with L1 when cmd/cachebench passes
// one in), injects one named fault (SIGKILL, SIGSTOP/SIGCONT, SIGTERM and
// restart under the same name, iptables partitions of gossip and/or peer
// traffic matched on each node's own uid, tc netem latency, ring churn, an
// origin outage), waits for the cluster to recover, and checks the history
// with package history. Every scenario has an entry in Expectations; one
// whose behaviour is not built yet is an expected failure that still
// prints its figures. Every rule, qdisc and process a run creates is
// removed when it ends, even on error, and Run checks that nothing is left.
// See docs/faults.md.
package faults
