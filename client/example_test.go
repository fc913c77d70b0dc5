package client_test

import (
	"context"
	"fmt"

	"github.com/ringcache/ringcache/client"
)

// A Loader can be any function; client/origin provides Redis and SQL ones.
func ExampleLoaderFunc() {
	var loader client.Loader = client.LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
		if key == "user:1" {
			return []byte(`{"name":"ada"}`), nil
		}
		return nil, client.ErrNotFound
	})
	v, err := loader.Load(context.Background(), "user:1")
	fmt.Println(string(v), err)
	_, err = loader.Load(context.Background(), "user:2")
	fmt.Println(err)
	// Output:
	// {"name":"ada"} <nil>
	// ringcache: not found
}
