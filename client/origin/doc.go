// Package origin connects the ringcache SDK to the system of record it reads
// through to on a cache miss. The model: the SDK calls [Loader.Load] for a key
// it could not find in L1 or in the ring, at most once per key at a time per
// process; the loader returns the value, [ErrNotFound] when the origin has no
// such key (the SDK caches that as a negative entry), or another error, which
// the SDK treats as an origin failure (breaker, stale-if-error). A loader that
// also implements [BatchLoader] may be asked for many keys in one round trip;
// absent keys are simply missing from its map. Two origins are provided: a
// Redis server through go-redis ([RedisOrigin]: GET, MGET) and a SQL database
// through database/sql ([SQLOrigin]: one prepared parameterised query, plus an
// optional chunked IN query), with SQLite (modernc.org/sqlite, pure Go) as the
// embedded default and PostgreSQL through pgx. Loaders never log values and
// never put them in errors; every call honours its context's cancellation and
// deadline. Any other origin is a [LoaderFunc].
package origin

import (
	"errors"

	"github.com/ringcache/ringcache/client"
)

// Loader is the SDK's Loader: origins here plug straight into
// client.Config.Loader.
type Loader = client.Loader

// BatchLoader is the optional batch form of Loader, used by the SDK's
// GetMany when a loader implements it. Keys the origin does not have are
// simply missing from the returned map. It must be safe for concurrent use
// and honour ctx.
type BatchLoader = client.BatchLoader

// LoaderFunc adapts an ordinary function to the Loader interface.
type LoaderFunc = client.LoaderFunc

var (
	// ErrNotFound is returned by a Loader when the origin has no such key;
	// it is the SDK's own, so the SDK caches it as a negative entry.
	ErrNotFound = client.ErrNotFound
	// ErrClosed is returned by the origins of this package after Close.
	ErrClosed = errors.New("origin: closed")
)

var _ Loader = LoaderFunc(nil)
