// Package cacheserver is one ringcache node: a server that Redis clients,
// redis-cli and redis-benchmark cannot tell from Redis 7.0 for the commands
// it supports.
//
// The model: New builds a Server around its own store.Store and one command
// table; Serve accepts connections and runs one goroutine per connection.
// That goroutine parses every command already buffered by the RESP reader,
// dispatches each through the table (case-insensitive lookup without
// allocating, arity, authentication, MULTI queueing, WATCH invalidation for
// commands flagged "write", then the handler, which replies into the
// connection's resp.Writer), and flushes the replies once when nothing more
// is buffered, so a pipeline of N commands costs one read and one write.
// A client that does not read its replies blocks only its own goroutine (it
// is no longer read from) and is closed after WriteTimeout or when its
// unflushed replies pass OutputBufferLimit; a client that stalls in the
// middle of a command is closed after FrameTimeout. MULTI/EXEC runs the
// queued commands under the lock of their one slot (store.Atomic), so all
// keys of a transaction must hash to one slot. Shutdown stops accepting,
// lets every connection answer what it has read, then joins every goroutine
// and closes the store; Close does the same without waiting. There is no
// process-global state: several Servers can run in one process.
//
// Client tracking and pub/sub (tracking*.go, pubsub.go) deliver push frames
// produced on one connection to another through the target's outbox: the
// sender only appends under a mutex; the target's loop writes the outbox
// before the replies of each batch (frames queued earlier) and after them (frames
// queued while the command ran), and a short-lived drainer writes it while
// the target is idle, serialised with the loop by a per-connection write
// lock, so a push never splits a reply and never overtakes the reply of a
// read it invalidates. Tracking clients' reads are recorded before they run;
// writes, expiries and evictions (store.Config.OnRemove) invalidate. The
// outbox counts toward OutputBufferLimit. With no tracking client a command
// pays one atomic load. See docs/server.md, "Client tracking".
//
// Operations (admin.go, metrics.go, cmdstats.go): with Config.AdminAddr,
// Serve also starts an HTTP server owned by the Server (/livez, /readyz,
// /metrics, optional /debug/pprof/), which Shutdown keeps up while it
// drains (so /readyz answers 503 from its first moment) and stops at the
// end. /metrics reads the counters INFO keeps (commandstats included), at
// scrape time, from a Prometheus registry of the Server's own; one call in
// 64 per connection is timed for the duration histograms. See
// docs/operations.md.
package cacheserver
