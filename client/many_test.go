package client

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/poll"
)

type user struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func TestGetManyAndTyped(t *testing.T) {
	tc := startCluster(t)
	raw := tc.raw
	ctx := context.Background()
	c := newClient(t, tc, func(cfg *Config) {
		cfg.Loader = LoaderFunc(func(ctx context.Context, key string) ([]byte, error) {
			if key == "absent" {
				return nil, ErrNotFound
			}
			return []byte("o:" + key), nil
		})
	})
	raw.Set(ctx, "r1", "v1", 0)
	raw.Set(ctx, "{t}r2", "v2", 0)
	getL1(t, c, "r1")
	got, err := c.GetMany(ctx, []string{"r1", "{t}r2", "cold", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"r1": "v1", "{t}r2": "v2", "cold": "o:cold"}
	if len(got) != len(want) {
		t.Fatalf("GetMany = %v", got)
	}
	for k, v := range want {
		if string(got[k].Value) != v {
			t.Errorf("GetMany[%s] = %q, want %q", k, got[k].Value, v)
		}
	}
	if got["r1"].Tier != TierL1 || got["{t}r2"].Tier != TierRemote || got["cold"].Tier != TierOrigin {
		t.Errorf("tiers: %v %v %v", got["r1"].Tier, got["{t}r2"].Tier, got["cold"].Tier)
	}

	users := NewTyped[user](c, nil)
	if err := users.Set(ctx, "user:1", user{"ada", 36}); err != nil {
		t.Fatal(err)
	}
	u, res, err := users.Get(ctx, "user:1")
	if err != nil || u != (user{"ada", 36}) {
		t.Fatalf("typed Get = %+v %+v %v", u, res, err)
	}
}

// batchOrigin is a Loader and BatchLoader over a map, counting calls.
type batchOrigin struct {
	mu       sync.Mutex
	data     map[string]string
	fail     error
	batches  [][]string
	oneByOne int
}

func (o *batchOrigin) Load(ctx context.Context, key string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.oneByOne++
	if v, ok := o.data[key]; ok {
		return []byte(v), nil
	}
	return nil, ErrNotFound
}

func (o *batchOrigin) LoadMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.batches = append(o.batches, slices.Sorted(slices.Values(keys)))
	if o.fail != nil {
		return nil, o.fail
	}
	out := map[string][]byte{}
	for _, k := range keys {
		if v, ok := o.data[k]; ok {
			out[k] = []byte(v)
		}
	}
	return out, nil
}

// TestGetManyBatchLoad: the keys neither L1 nor the cluster has are loaded
// with one LoadMany call, written back (through leases) and put in L1;
// absent keys are missing from the result; a failing LoadMany gives
// per-key errors.
func TestGetManyBatchLoad(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	o := &batchOrigin{data: map[string]string{"c1": "o1", "c2": "o2", "c3": "o3"}}
	c := newClient(t, tc, func(cfg *Config) { cfg.Loader = o })
	tc.raw.Set(ctx, "l1", "v-l1", 0)
	tc.raw.Set(ctx, "r1", "v-r1", 0)
	getL1(t, c, "l1")
	keys := []string{"l1", "r1", "c1", "c2", "c3", "absent"}
	got, err := c.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"l1": "v-l1", "r1": "v-r1", "c1": "o1", "c2": "o2", "c3": "o3"}
	if len(got) != len(want) {
		t.Fatalf("GetMany = %v", got)
	}
	for k, v := range want {
		if string(got[k].Value) != v {
			t.Errorf("GetMany[%s] = %q, want %q", k, got[k].Value, v)
		}
	}
	if len(o.batches) != 1 || !slices.Equal(o.batches[0], []string{"absent", "c1", "c2", "c3"}) || o.oneByOne != 0 {
		t.Fatalf("origin calls: batches %v, single loads %d; want one LoadMany of the 4 missing keys", o.batches, o.oneByOne)
	}
	if v, err := tc.raw.Get(ctx, "c2").Result(); err != nil || v != "o2" {
		t.Fatalf("c2 in the cluster: %q %v, want the written-back value", v, err)
	}
	poll.Until(t, 2*time.Second, "every key in L1", func() bool {
		got, err := c.GetMany(ctx, keys)
		for _, r := range got {
			if r.Tier != TierL1 {
				return false
			}
		}
		return err == nil && len(got) == len(want)
	})
	if len(o.batches) != 1 {
		t.Fatalf("origin asked again: %v", o.batches)
	}

	o.fail = errors.New("db down")
	got, err = c.GetMany(ctx, []string{"l1", "f1", "f2"})
	var ke KeyErrors
	if !errors.As(err, &ke) || len(ke) != 2 || !errors.Is(ke["f1"], ErrOriginUnavailable) || string(got["l1"].Value) != "v-l1" {
		t.Fatalf("GetMany with LoadMany failing: %v %v, want l1 and per-key errors for f1, f2", got, err)
	}
}

// TestGetOrLoad: a per-call typed loader, on a client without a Loader,
// loads a miss (through a lease), chooses the TTL written to the cluster,
// and is not called again once the value is cached.
func TestGetOrLoad(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	c := newClient(t, tc, nil)
	users := NewTyped[user](c, nil)
	calls := 0
	load := func(ctx context.Context) (user, time.Duration, error) {
		calls++
		return user{"grace", 45}, 5 * time.Second, nil
	}
	u, res, err := users.GetOrLoad(ctx, "user:2", load)
	if err != nil || u != (user{"grace", 45}) || res.Tier != TierOrigin {
		t.Fatalf("GetOrLoad = %+v %v %v", u, res.Tier, err)
	}
	if ttl, err := tc.raw.PTTL(ctx, "user:2").Result(); err != nil || ttl <= 0 || ttl > 5*time.Second {
		t.Fatalf("cluster TTL %v %v, want the loader's 5s", ttl, err)
	}
	poll.Until(t, 2*time.Second, "user:2 from L1", func() bool {
		_, res, err := users.GetOrLoad(ctx, "user:2", load)
		return err == nil && res.Tier == TierL1
	})
	if calls != 1 {
		t.Fatalf("loader called %d times, want 1", calls)
	}
	if _, err := c.Get(ctx, "user:3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get without a loader: %v, want ErrNotFound", err)
	}
	_, _, err = users.GetOrLoad(ctx, "user:3", func(context.Context) (user, time.Duration, error) {
		return user{}, 0, errors.New("db down")
	})
	if !errors.Is(err, ErrOriginUnavailable) {
		t.Fatalf("GetOrLoad with a failing loader: %v", err)
	}
}
