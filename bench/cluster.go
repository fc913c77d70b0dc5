package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ringcache/ringcache/internal/launch"
)

// StartRingcacheCluster starts opts.N cacheserver processes of bin with
// their logs in dir (internal/launch: free loopback ports, joined through
// the first node) and returns once they agree on the ring. opts.Binary and
// opts.Dir are set from bin and dir.
func StartRingcacheCluster(ctx context.Context, bin, dir string, opts launch.Options) (*launch.Cluster, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("bench: %s not found (go build -o bin/ ./cmd/cacheserver): %w", bin, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	opts.Binary, opts.Dir = bin, dir
	return launch.Start(ctx, opts)
}

// StartClusterRedis starts a one-node Redis Cluster: redis-server in
// cluster mode owning all 16384 slots (the sdk target's cluster when no
// cacheserver binary is given). It returns once
// CLUSTER INFO reports cluster_state:ok (redis-server waits about 2 s
// after start before it declares the state ok). extra arguments are
// appended (e.g. "--maxmemory", "1mb").
func StartClusterRedis(ctx context.Context, bin, dir string, extra ...string) (*Process, error) {
	// redis-server opens the cluster config file after changing to --dir.
	conf := fmt.Sprintf("nodes-%d.conf", time.Now().UnixNano())
	args := append([]string{"--cluster-enabled", "yes", "--cluster-config-file", conf}, extra...)
	p, err := StartRedis(ctx, bin, dir, args...)
	if err != nil {
		return nil, err
	}
	if err := assignAllSlots(ctx, p.Addr); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

func assignAllSlots(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, Protocol: 2})
	defer c.Close()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err(); err != nil {
		return fmt.Errorf("bench: CLUSTER ADDSLOTSRANGE on %s: %w", addr, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(fmt.Errorf("bench: %s: cluster_state not ok within 10s", addr), err, ctx.Err())
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// FlushNodes sends FLUSHALL to every address, so the next run starts with an
// empty cache.
func FlushNodes(ctx context.Context, addrs []string) error {
	var errs []error
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a, DisableIdentity: true, Protocol: 2})
		if err := c.FlushAll(ctx).Err(); err != nil {
			errs = append(errs, fmt.Errorf("bench: FLUSHALL %s: %w", a, err))
		}
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
