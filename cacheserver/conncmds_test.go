package cacheserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func newGoRedis(t *testing.T, srv *Server, proto int, pass string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), Protocol: proto, Password: pass,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		PoolSize: 4})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGoRedisConnectionCommands(t *testing.T) {
	srv := startServer(t, testConfig())
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := context.Background()
			c := newGoRedis(t, srv, proto, "")
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
				t.Fatalf("PING = %q, %v", v, err)
			}
			if v, err := c.Echo(ctx, "hi").Result(); err != nil || v != "hi" {
				t.Fatalf("ECHO = %q, %v", v, err)
			}
			must(c.Set(ctx, "k", "v", 0).Err())
			conn := c.Conn()
			defer conn.Close()
			must(conn.ClientSetName(ctx, "worker-1").Err())
			if v, err := conn.ClientGetName(ctx).Result(); err != nil || v != "worker-1" {
				t.Fatalf("CLIENT GETNAME = %q, %v", v, err)
			}
			id, err := conn.ClientID(ctx).Result()
			must(err)
			info, err := conn.ClientInfo(ctx).Result()
			must(err)
			if info.ID != id || info.Name != "worker-1" || info.Resp != proto {
				t.Fatalf("CLIENT INFO = %+v, want id %d name worker-1 resp %d", info, id, proto)
			}
			list, err := c.ClientList(ctx).Result()
			must(err)
			if !strings.Contains(list, fmt.Sprintf("id=%d ", id)) || !strings.Contains(list, "name=worker-1") {
				t.Fatalf("CLIENT LIST lacks the named client:\n%s", list)
			}
			cfg, err := c.ConfigGet(ctx, "max*").Result()
			must(err)
			if cfg["maxclients"] != "10000" || cfg["maxmemory-policy"] != "allkeys-lfu" {
				t.Fatalf("CONFIG GET max* = %v", cfg)
			}
			tm, err := c.Time(ctx).Result()
			must(err)
			if d := time.Since(tm); d > time.Minute || d < -time.Minute {
				t.Fatalf("TIME = %v", tm)
			}
			n, err := c.Do(ctx, "COMMAND", "COUNT").Int64()
			must(err)
			if n < 40 {
				t.Fatalf("COMMAND COUNT = %d", n)
			}
			infos, err := c.Command(ctx).Result()
			must(err)
			if g := infos["get"]; g == nil || g.Arity != 2 || g.FirstKeyPos != 1 || !g.ReadOnly {
				t.Fatalf("COMMAND get = %+v", g)
			}
			keys, err := c.CommandGetKeys(ctx, "mset", "a", "1", "b", "2").Result()
			must(err)
			if fmt.Sprint(keys) != "[a b]" {
				t.Fatalf("COMMAND GETKEYS = %v", keys)
			}
		})
	}
}

func TestGoRedisInfo(t *testing.T) {
	srv := startServer(t, testConfig())
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := newGoRedis(t, srv, proto, "")
		if err := c.Set(ctx, "a", "1", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		c.Get(ctx, "a")
		c.Get(ctx, "missing")
		c.Do(ctx, "NOSUCH")
		all, err := c.Info(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"# Server\r\n", "redis_version:7.0.15\r\n", "ringcache_version:", "uptime_in_seconds:",
			"process_id:", "tcp_port:", "# Clients\r\n", "connected_clients:", "maxclients:10000\r\n",
			"# Memory\r\n", "used_memory:", "used_memory_human:", "used_memory_rss:", "maxmemory:0\r\n",
			"maxmemory_policy:allkeys-lfu\r\n", "# Stats\r\n", "total_connections_received:",
			"total_commands_processed:", "instantaneous_ops_per_sec:", "rejected_connections:0\r\n",
			"keyspace_hits:", "keyspace_misses:", "expired_keys:", "evicted_keys:", "# CPU\r\n",
			"used_cpu_sys:", "used_cpu_user:", "# Cluster\r\ncluster_enabled:0\r\n", "# Keyspace\r\n",
			"db0:keys=1,expires=1,avg_ttl=", "# Errorstats\r\n", "errorstat_ERR:count="} {
			if !strings.Contains(all, want) {
				t.Errorf("resp%d: INFO lacks %q", proto, want)
			}
		}
		sec, err := c.Info(ctx, "keyspace").Result()
		if err != nil || strings.Contains(sec, "# Server") || !strings.Contains(sec, "# Keyspace") {
			t.Errorf("INFO keyspace = %q, %v", sec, err)
		}
	}
}

func TestGoRedisTransactions(t *testing.T) {
	srv := startServer(t, testConfig())
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := newGoRedis(t, srv, proto, "")
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "{u}a", "1", 0)
			p.Incr(ctx, "{u}a")
			p.Get(ctx, "{u}a")
			return nil
		})
		if err != nil || cmds[2].(*redis.StringCmd).Val() != "2" {
			t.Fatalf("resp%d MULTI/EXEC: %v %v", proto, cmds, err)
		}
		_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "1", 0)
			p.Set(ctx, "b", "1", 0)
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "EXECABORT") {
			t.Fatalf("resp%d cross-slot transaction: %v", proto, err)
		}
		// WATCH: a concurrent write makes EXEC fail with TxFailedErr.
		other := newGoRedis(t, srv, proto, "")
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			if err := other.Set(ctx, "w", "changed", 0).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "w", "mine", 0)
				return nil
			})
			return err
		}, "w")
		if err != redis.TxFailedErr {
			t.Fatalf("resp%d WATCH after a concurrent write: %v", proto, err)
		}
		if v := other.Get(ctx, "w").Val(); v != "changed" {
			t.Fatalf("resp%d: watched transaction ran: w=%q", proto, v)
		}
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "w", "mine", 0)
				return nil
			})
			return err
		}, "w")
		if err != nil || other.Get(ctx, "w").Val() != "mine" {
			t.Fatalf("resp%d undisturbed WATCH: %v", proto, err)
		}
	}
}

func TestGoRedisAuth(t *testing.T) {
	cfg := testConfig()
	cfg.RequirePass = "s3cret"
	srv := startServer(t, cfg)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		if err := newGoRedis(t, srv, proto, "s3cret").Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("resp%d with password: %v", proto, err)
		}
		err := newGoRedis(t, srv, proto, "").Get(ctx, "k").Err()
		if err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Fatalf("resp%d without password: %v", proto, err)
		}
		err = newGoRedis(t, srv, proto, "wrong").Get(ctx, "k").Err()
		if err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
			t.Fatalf("resp%d wrong password: %v", proto, err)
		}
	}
}
