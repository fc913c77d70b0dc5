package client

import "time"

// Read and write options are distinct types, so an option that means
// nothing to a call does not compile there (WithTTL on a Get, SkipL1 on a
// Set) instead of being ignored.

// ReadOption modifies one read (Get, GetOrLoad, Typed.Get).
type ReadOption func(*readOptions)

// WriteOption modifies one write (Set, Typed.Set).
type WriteOption func(*writeOptions)

type readOptions struct {
	skipL1 bool
	load   loadFunc // GetOrLoad's loader, in place of Config.Loader
}

type writeOptions struct {
	ttl time.Duration
}

// WithTTL sets the TTL of a Set (0: no expiry).
func WithTTL(d time.Duration) WriteOption { return func(o *writeOptions) { o.ttl = d } }

// SkipL1 makes a Get ignore (and not fill) the in-process tier.
func SkipL1() ReadOption { return func(o *readOptions) { o.skipL1 = true } }

// applyRead returns the read options opts set. It is a separate function
// so that, when a call passes no options, nothing escapes to the heap.
func applyRead(opts []ReadOption) readOptions {
	var o readOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// applyWrite returns base modified by opts.
func applyWrite(base writeOptions, opts []WriteOption) writeOptions {
	for _, f := range opts {
		f(&base)
	}
	return base
}
