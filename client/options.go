package client

import "time"

// Option modifies one call.
type Option func(*callOptions)

type callOptions struct {
	ttl    time.Duration
	skipL1 bool
	load   loadFunc // GetOrLoad's loader, in place of Config.Loader
}

// WithTTL sets the TTL of a Set (0: no expiry).
func WithTTL(d time.Duration) Option { return func(o *callOptions) { o.ttl = d } }

// SkipL1 makes a Get ignore (and not fill) the in-process tier.
func SkipL1() Option { return func(o *callOptions) { o.skipL1 = true } }

// applyOptions returns base modified by opts. It is a separate function so
// that, when a call passes no options, nothing escapes to the heap.
func applyOptions(base callOptions, opts []Option) callOptions {
	for _, f := range opts {
		f(&base)
	}
	return base
}
