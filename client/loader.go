package client

import "context"

// Loader loads the value of key from the system of record. It returns
// ErrNotFound (or an error wrapping it) when the origin has no such key. It
// must be safe for concurrent use and honour ctx.
type Loader interface {
	Load(ctx context.Context, key string) ([]byte, error)
}

// BatchLoader is the optional batch form of Loader: GetMany calls
// LoadMany once for all the keys it must load when the Loader implements
// it. Keys the origin does not have are missing from the map. It must be
// safe for concurrent use and honour ctx.
type BatchLoader interface {
	LoadMany(ctx context.Context, keys []string) (map[string][]byte, error)
}

// LoaderFunc adapts a function to Loader.
type LoaderFunc func(ctx context.Context, key string) ([]byte, error)

// Load calls f.
func (f LoaderFunc) Load(ctx context.Context, key string) ([]byte, error) { return f(ctx, key) }

var _ Loader = LoaderFunc(nil)
