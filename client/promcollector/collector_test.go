package promcollector

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// newClient returns a client with no reachable cluster (degraded mode):
// its Gets go to the loader, which is all the counters need.
func newClient(t *testing.T) *client.Client {
	cfg := client.DefaultConfig()
	cfg.Seeds = []string{"127.0.0.1:1"}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Loader = client.LoaderFunc(func(ctx context.Context, key string) ([]byte, error) { return []byte("v"), nil })
	c, err := client.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTwoClientsOneRegistry: two clients' collectors, told apart by
// ConstLabels, register on one registry and export every Stats field, the
// L1 size and the Get histogram, each with its own values.
func TestTwoClientsOneRegistry(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	loads := map[string]int{"a": 3, "b": 5}
	for name, n := range loads {
		c := newClient(t)
		o := DefaultOptions()
		o.ConstLabels = prometheus.Labels{"client": name}
		col, err := New(c, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Register(col); err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
		for i := range n {
			if _, err := c.Get(context.Background(), string(rune('k'+i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, mf := range mfs {
		got[mf.GetName()] = len(mf.GetMetric())
		if mf.GetName() == "ringcache_client_origin_loads_total" {
			for _, m := range mf.GetMetric() {
				name := m.GetLabel()[0].GetValue()
				if v := m.GetCounter().GetValue(); v != float64(loads[name]) {
					t.Errorf("client %s: origin_loads_total %v, want %d", name, v, loads[name])
				}
			}
		}
	}
	want := []string{"ringcache_client_requests_total", "ringcache_client_l1_entries", "ringcache_client_l1_bytes",
		"ringcache_client_breaker_open", "ringcache_client_get_duration_seconds"}
	for _, m := range counters {
		want = append(want, "ringcache_client_"+m.name)
	}
	for _, name := range want {
		if got[name] == 0 {
			t.Errorf("%s not exported", name)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d metric families, want %d: %v", len(got), len(want), got)
	}
}
