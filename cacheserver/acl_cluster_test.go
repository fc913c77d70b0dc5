package cacheserver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/ring"
)

// TestACLForwardedCommandsCheckedAtEntry: users are node-local; a command
// is checked on the node the client is connected to, before it is
// forwarded, and the owner runs it for the peer whatever its own users
// are (the owner here does not even know the user). A denied command is
// never forwarded.
func TestACLForwardedCommandsCheckedAtEntry(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 2})
	ctx := context.Background()
	entry, owner := c.Nodes[0], c.Nodes[1]
	admin := nodeClient(t, entry.Addr, 2)
	if err := admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">pw", "-@all", "+get", "+set", "~app:*").Err(); err != nil {
		t.Fatal(err)
	}
	allowed, denied := keyOwnedBy(t, c, owner, "app:"), keyOwnedBy(t, c, owner, "secret:")
	rdb := redis.NewClient(&redis.Options{Addr: entry.Addr, Username: "app", Password: "pw", DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Set(ctx, allowed, "v", 0).Err(); err != nil {
		t.Fatalf("SET %s (owned by %s): %v", allowed, owner.Name, err)
	}
	if v, err := nodeClient(t, owner.Addr, 2).Get(ctx, allowed).Result(); err != nil || v != "v" {
		t.Fatalf("owner has %s = %q, %v", allowed, v, err)
	}
	err := rdb.Set(ctx, denied, "v", 0).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("SET %s: %v, want NOPERM", denied, err)
	}
	if err := nodeClient(t, owner.Addr, 2).Get(ctx, denied).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("the denied SET reached the owner: %v", err)
	}
	if err := rdb.Del(ctx, allowed).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("DEL: %v, want NOPERM", err)
	}
	// Pipelined behind a forwarded command, the denial keeps its place.
	cmds, _ := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, allowed, "w", 0)
		p.Set(ctx, denied, "w", 0)
		p.Get(ctx, allowed)
		return nil
	})
	if len(cmds) != 3 || cmds[0].Err() != nil || cmds[1].Err() == nil || cmds[2].(*redis.StringCmd).Val() != "w" {
		t.Fatalf("pipeline replies out of order: %v", cmds)
	}
	if n, err := nodeClient(t, owner.Addr, 2).Do(ctx, "ACL", "USERS").StringSlice(); err != nil || len(n) != 1 {
		t.Fatalf("owner's users %v, %v: ACL SETUSER is node-local", n, err)
	}
}

// keyOwnedBy returns a key with prefix whose slot n owns.
func keyOwnedBy(t *testing.T, c *cachetest.Cluster, n *cachetest.Node, prefix string) string {
	t.Helper()
	r := c.Running()[0].Srv.Ring()
	for i := range 10000 {
		k := fmt.Sprintf("%s%d", prefix, i)
		if r.SlotOwner(ring.KeySlot(k)).Name == n.Name {
			return k
		}
	}
	t.Fatalf("no key with prefix %s on %s", prefix, n.Name)
	return ""
}
