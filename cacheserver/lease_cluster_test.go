package cacheserver_test

import (
	"context"
	"testing"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
)

// TestLeaseForwardedToOwner: in forward mode every node sends LEASEGET,
// LEASESET and DEL to the key's owner, so the cluster holds one lease per
// key: a token from one node is honoured through another, other nodes
// answer WAIT, and a DEL through a third node voids it.
func TestLeaseForwardedToOwner(t *testing.T) {
	cl := cachetest.Start(t, cachetest.Options{N: 3})
	cl.WaitAgreed()
	ctx := context.Background()
	c := make([]func(args ...any) (any, error), 3)
	for i, n := range cl.Running() {
		cli := nodeClient(t, n.Addr, 2)
		c[i] = func(args ...any) (any, error) { return cli.Do(ctx, args...).Result() }
	}
	for _, key := range testKeys(20) {
		tok := grantVia(t, c[0], key)
		for _, other := range c[1:] {
			if r, err := other("LEASEGET", key, 5000); err != nil || r.([]any)[0] != "WAIT" {
				t.Fatalf("%s: LEASEGET through another node = %v %v, want WAIT", key, r, err)
			}
		}
		if r, err := c[1]("LEASESET", key, tok, "v", "PX", 60000); err != nil || r != "OK" {
			t.Fatalf("%s: LEASESET through another node = %v %v", key, r, err)
		}
		if _, err := c[2]("DEL", key); err != nil {
			t.Fatal(err)
		}
		tok = grantVia(t, c[2], key)
		if _, err := c[0]("DEL", key); err != nil {
			t.Fatal(err)
		}
		if r, err := c[1]("LEASESET", key, tok, "stale"); r != nil || err == nil {
			t.Fatalf("%s: LEASESET after a DEL through another node = %v %v, want nil", key, r, err)
		}
	}
}

func grantVia(t *testing.T, do func(args ...any) (any, error), key string) int64 {
	t.Helper()
	r, err := do("LEASEGET", key, 5000)
	a, _ := r.([]any)
	if err != nil || len(a) != 2 || a[0] != "LEASE" {
		t.Fatalf("%s: LEASEGET = %v %v, want a lease", key, r, err)
	}
	return a[1].(int64)
}
