package client

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Codec turns values of type T into bytes and back.
type Codec[T any] interface {
	Marshal(v T) ([]byte, error)
	Unmarshal(b []byte, v *T) error
}

// JSONCodec is the default Codec.
type JSONCodec[T any] struct{}

// Marshal encodes v as JSON.
func (JSONCodec[T]) Marshal(v T) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON into v.
func (JSONCodec[T]) Unmarshal(b []byte, v *T) error { return json.Unmarshal(b, v) }

// Typed wraps a Client for values of one Go type. The Client's Loader must
// return values in the codec's encoding.
type Typed[T any] struct {
	c     *Client
	codec Codec[T]
}

// NewTyped returns a typed view of c; a nil codec means JSON.
func NewTyped[T any](c *Client, codec Codec[T]) *Typed[T] {
	if codec == nil {
		codec = JSONCodec[T]{}
	}
	return &Typed[T]{c: c, codec: codec}
}

// Get decodes the value of key.
func (t *Typed[T]) Get(ctx context.Context, key string, opts ...ReadOption) (T, Result, error) {
	var v T
	res, err := t.c.Get(ctx, key, opts...)
	if err != nil {
		return v, res, err
	}
	return v, res, t.codec.Unmarshal(res.Value, &v)
}

// GetOrLoad is Get with a loader of its own for this call, used in place
// of Config.Loader on a miss (through the same flight and lease: callers
// of one key at the same time share one load, whichever loader it is).
// load may choose the TTL the value is written back with; 0 means
// Config.TTL.
func (t *Typed[T]) GetOrLoad(ctx context.Context, key string, load func(ctx context.Context) (T, time.Duration, error),
	opts ...ReadOption) (T, Result, error) {
	withLoad := func(o *readOptions) {
		o.load = func(ctx context.Context, _ string) ([]byte, time.Duration, error) {
			v, ttl, err := load(ctx)
			if err != nil {
				return nil, 0, err
			}
			b, err := t.codec.Marshal(v)
			return b, ttl, err
		}
	}
	var v T
	res, err := t.c.Get(ctx, key, append(slices.Clip(opts), withLoad)...)
	if err != nil {
		return v, res, err
	}
	return v, res, t.codec.Unmarshal(res.Value, &v)
}

// Set encodes and writes v.
func (t *Typed[T]) Set(ctx context.Context, key string, v T, opts ...WriteOption) error {
	b, err := t.codec.Marshal(v)
	if err != nil {
		return err
	}
	return t.c.Set(ctx, key, b, opts...)
}
