package client

import (
	"context"

	"testing"
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
