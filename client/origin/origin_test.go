package origin

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"
)

// database/sql's connection opener and go-redis's pools start goroutines;
// every test must leave none behind once its origins are closed.
func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	goleak.VerifyTestMain(m)
}

func TestLoaderFunc(t *testing.T) {
	var l Loader = LoaderFunc(func(_ context.Context, key string) ([]byte, error) {
		if key == "missing" {
			return nil, ErrNotFound
		}
		return []byte("v:" + key), nil
	})
	v, err := l.Load(context.Background(), "a")
	if err != nil || string(v) != "v:a" {
		t.Fatalf("Load(a) = %q, %v", v, err)
	}
	if _, err := l.Load(context.Background(), "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load(missing) err = %v, want ErrNotFound", err)
	}
}

// checkLoad asserts Load(key) returns want, or ErrNotFound when want is nil.
func checkLoad(t *testing.T, l Loader, key string, want []byte) {
	t.Helper()
	v, err := l.Load(context.Background(), key)
	if want == nil {
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Load(%q) = %q, %v; want ErrNotFound", key, v, err)
		}
		return
	}
	if err != nil || string(v) != string(want) || v == nil {
		t.Fatalf("Load(%q) = %q (nil=%v), %v; want %q", key, v, v == nil, err, want)
	}
}

// checkMany asserts LoadMany(keys) returns exactly want.
func checkMany(t *testing.T, l BatchLoader, keys []string, want map[string]string) {
	t.Helper()
	got, err := l.LoadMany(context.Background(), keys)
	if err != nil {
		t.Fatalf("LoadMany: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("LoadMany returned %d keys, want %d", len(got), len(want))
	}
	for k, w := range want {
		if v, ok := got[k]; !ok || string(v) != w {
			t.Fatalf("LoadMany[%q] = %q (present %v), want %q", k, v, ok, w)
		}
	}
}

// blackHole listens on 127.0.0.1 and accepts connections it never answers,
// like a hung server. It returns the address; everything stops at cleanup.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}
