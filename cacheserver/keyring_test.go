package cacheserver_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
)

func gossipKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

var errWrongValue = errors.New("GET returned a wrong value")

// loadUntil runs SET and GET of keys spread over every node through rdb
// from two goroutines until stop closes, and returns the requests and the
// failures.
func loadUntil(rdbs []*redis.Client, stop <-chan struct{}) (reqs, fails *atomic.Int64, first *atomic.Value, wait func()) {
	reqs, fails, first = &atomic.Int64{}, &atomic.Int64{}, &atomic.Value{}
	var wg sync.WaitGroup
	keys := testKeys(500)
	for g, rdb := range rdbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[i%len(keys)]
				err := rdb.Set(ctx, k, valueOf(k), 0).Err()
				if err == nil {
					var v string
					v, err = rdb.Get(ctx, k).Result()
					if err == nil && v != valueOf(k) {
						err = errWrongValue
					}
				}
				reqs.Add(2)
				if err != nil {
					fails.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	return reqs, fails, first, wg.Wait
}

// TestGossipKeyRotationUnderLoad rotates the gossip key of a live,
// encrypted three-node cluster with CLUSTER KEYRING while clients write
// and read through every node: no request fails, the ring never changes,
// a node with only the new key joins afterwards (and its new peer links
// authenticate with it), and a node with only the old key never does.
func TestGossipKeyRotationUnderLoad(t *testing.T) {
	k1, k2 := gossipKey(t), gossipKey(t)
	b64 := base64.StdEncoding.EncodeToString
	c := cachetest.Start(t, cachetest.Options{N: 3, Configure: func(_ string, cfg *cacheserver.Config) {
		if cfg.Cluster.GossipKeys == nil {
			cfg.Cluster.GossipKeys = [][]byte{k1}
		}
	}})
	epoch := c.Nodes[0].Srv.Ring().Epoch()
	var rdbs []*redis.Client
	for _, n := range c.Nodes {
		rdbs = append(rdbs, nodeClient(t, n.Addr, 2))
	}
	stop := make(chan struct{})
	reqs, fails, first, wait := loadUntil(rdbs, stop)
	admin := nodeClient(t, c.Nodes[1].Addr, 2)
	ctx := context.Background()
	poll.Until(t, 5*time.Second, "load to start", func() bool { return reqs.Load() > 200 })
	for _, step := range [][]any{{"install", b64(k2)}, {"use", b64(k2)}, {"remove", b64(k1)}} {
		before := reqs.Load()
		// Each step is a gossip query; on a loaded machine one node's answer
		// can miss its timeout ("2/3 nodes reported success"). The steps are
		// idempotent, so ask again, as an operator would.
		var err error
		poll.Until(t, 10*time.Second, "CLUSTER KEYRING step to reach every node", func() bool {
			err = admin.Do(ctx, append([]any{"cluster", "keyring"}, step...)...).Err()
			return err == nil || !strings.Contains(err.Error(), "nodes reported success")
		})
		if err != nil {
			t.Fatalf("CLUSTER KEYRING %v: %v", step[0], err)
		}
		poll.Until(t, 5*time.Second, "requests after the step", func() bool { return reqs.Load() > before+200 })
	}
	// LIST is a gossip query: on a loaded machine one node's answer can miss
	// its timeout ("2/3 nodes reported success"); ask again, as an operator
	// would.
	var list []any
	var err error
	poll.Until(t, 10*time.Second, "CLUSTER KEYRING LIST to hear from every node", func() bool {
		list, err = admin.Do(ctx, "cluster", "keyring", "list").Slice()
		return err == nil || !strings.Contains(err.Error(), "nodes reported success")
	})
	if err != nil || len(list) != 1 {
		t.Fatalf("CLUSTER KEYRING LIST after rotation: %v, %v", list, err)
	}
	if e := list[0].([]any); e[0] != b64(k2) || e[1] != int64(3) || e[2] != int64(3) {
		t.Fatalf("CLUSTER KEYRING LIST entry: %v", e)
	}
	close(stop) // before nodes join: a ring change legally drops data
	wait()
	for _, n := range c.Nodes {
		if n.Srv.Ring().Epoch() != epoch {
			t.Errorf("%s's ring changed during the rotation", n.Name)
		}
	}
	old := c.StartNode("old-key", func(cfg *cacheserver.Config) { cfg.Cluster.GossipKeys = [][]byte{k1} })
	c.StartNode("new-key", func(cfg *cacheserver.Config) { cfg.Cluster.GossipKeys = [][]byte{k2} })
	poll.Until(t, 15*time.Second, "the new-key node to join", func() bool {
		for _, n := range c.Running() {
			if n != old && n.Srv.Ring().Len() != 4 {
				return false
			}
		}
		return true
	})
	t.Logf("%d requests during the rotation, %d failed", reqs.Load(), fails.Load())
	if fails.Load() > 0 {
		t.Fatalf("%d requests failed during the rotation; first: %v", fails.Load(), first.Load())
	}
	newRdb := nodeClient(t, c.Nodes[4].Addr, 2)
	if failed, err := countFailedWrites(t, newRdb, 50); failed > 0 {
		t.Fatalf("%d/50 writes through the new-key node failed; first: %v", failed, err)
	}
	for _, n := range c.Running() {
		if _, ok := n.Srv.Ring().Member(old.Name); ok && n != old {
			t.Errorf("%s admitted the old-key node", n.Name)
		}
	}
	if r := old.Srv.Ring(); r.Len() != 1 {
		t.Errorf("old-key node sees %d members", r.Len())
	}
	if err := nodeClient(t, old.Addr, 2).Set(ctx, "k", "v", 0).Err(); err == nil || err.Error()[:11] != "CLUSTERDOWN" {
		t.Errorf("old-key node served a key: %v", err)
	}
}

// TestClusterKeyringErrors: CLUSTER KEYRING's refusals, each with a clear
// error.
func TestClusterKeyringErrors(t *testing.T) {
	ctx := context.Background()
	c := cachetest.Start(t, cachetest.Options{N: 1})
	rdb := nodeClient(t, c.Nodes[0].Addr, 2)
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"cluster", "keyring", "list"}, "ERR keyring: gossip encryption is not enabled on this node"},
		{[]any{"cluster", "keyring", "rotate"}, "ERR unknown subcommand 'rotate'. Try CLUSTER HELP."},
		{[]any{"cluster", "keyring", "install"}, "ERR wrong number of arguments for 'cluster|keyring' command"},
		{[]any{"cluster", "keyring", "list", "x"}, "ERR wrong number of arguments for 'cluster|keyring' command"},
		{[]any{"cluster", "keyring"}, "ERR wrong number of arguments for 'cluster|keyring' command"},
	} {
		if err := rdb.Do(ctx, tc.args...).Err(); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	enc := cachetest.Start(t, cachetest.Options{N: 1, Configure: func(_ string, cfg *cacheserver.Config) {
		cfg.Cluster.GossipKeys = [][]byte{gossipKey(t)}
	}})
	erdb := nodeClient(t, enc.Nodes[0].Addr, 2)
	if err := erdb.Do(ctx, "cluster", "keyring", "install", "bm90IGEga2V5").Err(); err == nil ||
		err.Error() != "ERR keyring: gossip key: 9 bytes, want 16, 24 or 32" {
		t.Errorf("INSTALL of a short key: %v", err)
	}
	standalone := nodeClient(t, serveOn(t, cacheserver.DefaultConfig(), "127.0.0.1")[0], 2)
	if err := standalone.Do(ctx, "cluster", "keyring", "list").Err(); err == nil || err.Error() != "ERR This instance has cluster support disabled" {
		t.Errorf("standalone: %v", err)
	}
}
