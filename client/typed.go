package client

import (
	"context"
	"encoding/json"
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
func (t *Typed[T]) Get(ctx context.Context, key string, opts ...Option) (T, Result, error) {
	var v T
	res, err := t.c.Get(ctx, key, opts...)
	if err != nil {
		return v, res, err
	}
	return v, res, t.codec.Unmarshal(res.Value, &v)
}

// Set encodes and writes v.
func (t *Typed[T]) Set(ctx context.Context, key string, v T, opts ...Option) error {
	b, err := t.codec.Marshal(v)
	if err != nil {
		return err
	}
	return t.c.Set(ctx, key, b, opts...)
}
