package cacheserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startCmdServer starts a cacheserver on a free loopback port for the
// command tests and stops it when the test ends.
func startCmdServer(t *testing.T) string {
	t.Helper()
	return startCmdServerWith(t, DefaultConfig())
}

// startCmdServerWith is startCmdServer with a configuration.
func startCmdServerWith(t *testing.T, cfg Config) string {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		_ = s.Close()
		if err := <-done; err != nil && !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// goRedisClient returns a go-redis v9 client speaking protocol proto.
func goRedisClient(t *testing.T, addr string, proto int) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DisableIdentity: true,
		DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// eq fails the test when got (value, error) differs from want (nil error).
func eq[T any](t *testing.T, what string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: error %v", what, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// isNil fails unless err is redis.Nil.
func isNil(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, redis.Nil) {
		t.Errorf("%s: error %v, want redis.Nil", what, err)
	}
}

// forProtocols runs fn against a fresh server with go-redis in RESP2 and RESP3.
func forProtocols(t *testing.T, fn func(t *testing.T, ctx context.Context, rdb *redis.Client)) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			rdb := goRedisClient(t, startCmdServer(t), proto)
			fn(t, context.Background(), rdb)
		})
	}
}

func TestGoRedisGetSet(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		isNil(t, "GET missing", rdb.Get(ctx, "k").Err())
		eq(t, "SET", rdb.Set(ctx, "k", "v", 0).Val(), rdb.Set(ctx, "k", "v", 0).Err(), "OK")
		v, err := rdb.Get(ctx, "k").Result()
		eq(t, "GET", v, err, "v")
		b, err := rdb.SetNX(ctx, "k", "x", 0).Result()
		eq(t, "SETNX existing", b, err, false)
		b, err = rdb.SetXX(ctx, "k", "v2", time.Minute).Result()
		eq(t, "SET XX EX", b, err, true)
		d, err := rdb.TTL(ctx, "k").Result()
		eq(t, "TTL", d, err, time.Minute)
		v, err = rdb.SetArgs(ctx, "k", "v3", redis.SetArgs{KeepTTL: true, Get: true}).Result()
		eq(t, "SET KEEPTTL GET", v, err, "v2")
		d, err = rdb.TTL(ctx, "k").Result()
		eq(t, "TTL kept", d, err, time.Minute)
		at := time.Now().Add(time.Hour).Truncate(time.Second)
		eq(t, "SET EXAT", rdb.SetArgs(ctx, "k", "v4", redis.SetArgs{ExpireAt: at}).Val(), nil, "OK")
		eq(t, "EXPIRETIME", rdb.ExpireTime(ctx, "k").Val(), rdb.ExpireTime(ctx, "k").Err(), time.Duration(at.Unix())*time.Second)
		isNil(t, "SET NX GET on missing", rdb.SetArgs(ctx, "n", "v", redis.SetArgs{Mode: "NX", Get: true}).Err())
		//lint:ignore SA1019 SETEX itself is under test
		eq(t, "SETEX", rdb.SetEx(ctx, "e", "v", 10*time.Second).Val(), nil, "OK")
		//lint:ignore SA1019 GETSET itself is under test
		v, err = rdb.GetSet(ctx, "e", "w").Result()
		eq(t, "GETSET", v, err, "v")
		eq(t, "TTL after GETSET", rdb.TTL(ctx, "e").Val(), nil, time.Duration(-1))
		s, err := rdb.Do(ctx, "PSETEX", "p", 1500, "v").Text()
		eq(t, "PSETEX", s, err, "OK")
		eq(t, "PTTL after PSETEX", rdb.PTTL(ctx, "p").Val() > time.Second, nil, true)
		v, err = rdb.GetEx(ctx, "e", 5*time.Second).Result()
		eq(t, "GETEX EX", v, err, "w")
		eq(t, "TTL after GETEX", rdb.TTL(ctx, "e").Val(), nil, 5*time.Second)
		v, err = rdb.GetDel(ctx, "e").Result()
		eq(t, "GETDEL", v, err, "w")
		isNil(t, "GETDEL again", rdb.GetDel(ctx, "e").Err())
		err = rdb.Set(ctx, "bad", "v", -5*time.Second).Err() // go-redis sends KEEPTTL for -1 only
		if err != nil && err.Error() != "ERR invalid expire time in 'set' command" {
			t.Errorf("SET negative: %v", err)
		}
	})
}

func TestGoRedisMultiKey(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		eq(t, "MSET", rdb.MSet(ctx, "a", "1", "b", "2").Val(), nil, "OK")
		vals, err := rdb.MGet(ctx, "a", "missing", "b").Result()
		eq(t, "MGET", vals, err, []any{"1", nil, "2"})
		ok, err := rdb.MSetNX(ctx, "a", "9", "c", "3").Result()
		eq(t, "MSETNX existing", ok, err, false)
		ok, err = rdb.MSetNX(ctx, "c", "3", "d", "4").Result()
		eq(t, "MSETNX new", ok, err, true)
		n, err := rdb.Exists(ctx, "a", "b", "missing", "a").Result()
		eq(t, "EXISTS", n, err, int64(3))
		n, err = rdb.Touch(ctx, "a", "missing").Result()
		eq(t, "TOUCH", n, err, int64(1))
		n, err = rdb.Del(ctx, "a", "missing").Result()
		eq(t, "DEL", n, err, int64(1))
		n, err = rdb.Unlink(ctx, "b", "c").Result()
		eq(t, "UNLINK", n, err, int64(2))
		s, err := rdb.Type(ctx, "d").Result()
		eq(t, "TYPE", s, err, "string")
		s, err = rdb.Type(ctx, "a").Result()
		eq(t, "TYPE missing", s, err, "none")
	})
}

func TestGoRedisStringOps(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		n, err := rdb.Append(ctx, "s", "hello").Result()
		eq(t, "APPEND", n, err, int64(5))
		n, err = rdb.StrLen(ctx, "s").Result()
		eq(t, "STRLEN", n, err, int64(5))
		s, err := rdb.GetRange(ctx, "s", -3, -1).Result()
		eq(t, "GETRANGE", s, err, "llo")
		s, err = rdb.Do(ctx, "SUBSTR", "s", 0, 1).Text()
		eq(t, "SUBSTR", s, err, "he")
		n, err = rdb.SetRange(ctx, "s", 7, "xy").Result()
		eq(t, "SETRANGE", n, err, int64(9))
		s, err = rdb.Get(ctx, "s").Result()
		eq(t, "GET after SETRANGE", s, err, "hello\x00\x00xy")
		n, err = rdb.Incr(ctx, "i").Result()
		eq(t, "INCR", n, err, int64(1))
		n, err = rdb.IncrBy(ctx, "i", 10).Result()
		eq(t, "INCRBY", n, err, int64(11))
		n, err = rdb.Decr(ctx, "i").Result()
		eq(t, "DECR", n, err, int64(10))
		n, err = rdb.DecrBy(ctx, "i", 20).Result()
		eq(t, "DECRBY", n, err, int64(-10))
		f, err := rdb.IncrByFloat(ctx, "f", 0.1).Result()
		eq(t, "INCRBYFLOAT", f, err, 0.1)
		f, err = rdb.IncrByFloat(ctx, "f", 0.2).Result()
		eq(t, "INCRBYFLOAT again", f, err, 0.3)
		s, err = rdb.Get(ctx, "f").Result()
		eq(t, "INCRBYFLOAT text", s, err, "0.3")
		if err := rdb.Incr(ctx, "s").Err(); err == nil || err.Error() != notIntegerErr {
			t.Errorf("INCR on text: %v", err)
		}
	})
}

func TestGoRedisBits(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		n, err := rdb.SetBit(ctx, "b", 7, 1).Result()
		eq(t, "SETBIT", n, err, int64(0))
		n, err = rdb.GetBit(ctx, "b", 7).Result()
		eq(t, "GETBIT", n, err, int64(1))
		rdb.Set(ctx, "k", "foobar", 0)
		n, err = rdb.BitCount(ctx, "k", nil).Result()
		eq(t, "BITCOUNT", n, err, int64(26))
		n, err = rdb.BitCount(ctx, "k", &redis.BitCount{Start: 5, End: 30, Unit: redis.BitCountIndexBit}).Result()
		eq(t, "BITCOUNT BIT", n, err, int64(17))
		rdb.Set(ctx, "p", "\xff\xf0\x00", 0)
		n, err = rdb.BitPos(ctx, "p", 0).Result()
		eq(t, "BITPOS", n, err, int64(12))
		n, err = rdb.BitPos(ctx, "p", 1, 2, -1).Result()
		eq(t, "BITPOS range", n, err, int64(-1))
		n, err = rdb.BitPosSpan(ctx, "p", 0, 7, 15, "bit").Result()
		eq(t, "BITPOS BIT", n, err, int64(12))
	})
}

func TestGoRedisLCS(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		rdb.MSet(ctx, "key1", "ohmytext", "key2", "mynewtext")
		m, err := rdb.LCS(ctx, &redis.LCSQuery{Key1: "key1", Key2: "key2"}).Result()
		eq(t, "LCS", m.MatchString, err, "mytext")
		m, err = rdb.LCS(ctx, &redis.LCSQuery{Key1: "key1", Key2: "key2", Len: true}).Result()
		eq(t, "LCS LEN", m.Len, err, int64(6))
		m, err = rdb.LCS(ctx, &redis.LCSQuery{Key1: "key1", Key2: "key2", Idx: true, WithMatchLen: true, MinMatchLen: 4}).Result()
		want := []redis.LCSMatchedPosition{{Key1: redis.LCSPosition{Start: 4, End: 7},
			Key2: redis.LCSPosition{Start: 5, End: 8}, MatchLen: 4}}
		eq(t, "LCS IDX", m.Matches, err, want)
		eq(t, "LCS IDX len", m.Len, err, int64(6))
	})
}

func TestGoRedisExpire(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		rdb.Set(ctx, "k", "v", 0)
		eq(t, "TTL no expiry", rdb.TTL(ctx, "k").Val(), nil, time.Duration(-1))
		eq(t, "TTL missing", rdb.TTL(ctx, "missing").Val(), nil, time.Duration(-2))
		b, err := rdb.ExpireXX(ctx, "k", time.Minute).Result()
		eq(t, "EXPIRE XX", b, err, false)
		b, err = rdb.ExpireGT(ctx, "k", time.Minute).Result()
		eq(t, "EXPIRE GT no ttl", b, err, false)
		b, err = rdb.ExpireLT(ctx, "k", time.Hour).Result()
		eq(t, "EXPIRE LT no ttl", b, err, true)
		b, err = rdb.ExpireNX(ctx, "k", time.Minute).Result()
		eq(t, "EXPIRE NX with ttl", b, err, false)
		b, err = rdb.Expire(ctx, "k", 100*time.Second).Result()
		eq(t, "EXPIRE", b, err, true)
		eq(t, "TTL", rdb.TTL(ctx, "k").Val(), nil, 100*time.Second)
		b, err = rdb.PExpire(ctx, "k", 200*time.Second).Result()
		eq(t, "PEXPIRE", b, err, true)
		if p := rdb.PTTL(ctx, "k").Val(); p <= 199*time.Second || p > 200*time.Second {
			t.Errorf("PTTL = %v", p)
		}
		at := time.Now().Add(time.Hour).Truncate(time.Second)
		b, err = rdb.ExpireAt(ctx, "k", at).Result()
		eq(t, "EXPIREAT", b, err, true)
		eq(t, "EXPIRETIME", rdb.ExpireTime(ctx, "k").Val(), nil, time.Duration(at.Unix())*time.Second)
		b, err = rdb.PExpireAt(ctx, "k", at).Result()
		eq(t, "PEXPIREAT", b, err, true)
		if d := rdb.PExpireTime(ctx, "k").Val(); d != time.Duration(at.UnixMilli())*time.Millisecond {
			t.Errorf("PEXPIRETIME = %v, want %v", d, time.Duration(at.UnixMilli())*time.Millisecond)
		}
		b, err = rdb.Persist(ctx, "k").Result()
		eq(t, "PERSIST", b, err, true)
		b, err = rdb.Expire(ctx, "k", -time.Second).Result()
		eq(t, "EXPIRE negative deletes", b, err, true)
		eq(t, "EXISTS after", rdb.Exists(ctx, "k").Val(), nil, int64(0))
	})
}

func TestGoRedisKeyspace(t *testing.T) {
	forProtocols(t, func(t *testing.T, ctx context.Context, rdb *redis.Client) {
		isNil(t, "RANDOMKEY empty", rdb.RandomKey(ctx).Err())
		for i := 0; i < 50; i++ {
			rdb.Set(ctx, fmt.Sprintf("key:%d", i), i, 0)
		}
		rdb.Set(ctx, "other", "x", 0)
		n, err := rdb.DBSize(ctx).Result()
		eq(t, "DBSIZE", n, err, int64(51))
		keys, err := rdb.Keys(ctx, "key:1*").Result()
		sort.Strings(keys)
		eq(t, "KEYS", keys, err, []string{"key:1", "key:10", "key:11", "key:12", "key:13",
			"key:14", "key:15", "key:16", "key:17", "key:18", "key:19"})
		var all []string
		iter := rdb.Scan(ctx, 0, "key:*", 7).Iterator()
		for iter.Next(ctx) {
			all = append(all, iter.Val())
		}
		if err := iter.Err(); err != nil || len(dedupe(all)) != 50 {
			t.Errorf("SCAN MATCH: %d keys, err %v", len(dedupe(all)), err)
		}
		ks, _, err := rdb.ScanType(ctx, 0, "*", 1000, "hash").Result()
		eq(t, "SCAN TYPE hash", len(ks), err, 0)
		k, err := rdb.RandomKey(ctx).Result()
		if err != nil || rdb.Exists(ctx, k).Val() != 1 {
			t.Errorf("RANDOMKEY = %q, %v", k, err)
		}
		eq(t, "FLUSHDB", rdb.FlushDB(ctx).Val(), nil, "OK")
		eq(t, "DBSIZE after", rdb.DBSize(ctx).Val(), nil, int64(0))
		rdb.Set(ctx, "x", "y", 0)
		eq(t, "FLUSHALL ASYNC", rdb.FlushAllAsync(ctx).Val(), nil, "OK")
		eq(t, "FLUSHALL", rdb.FlushAll(ctx).Val(), nil, "OK")
		eq(t, "DBSIZE after flushall", rdb.DBSize(ctx).Val(), nil, int64(0))
	})
}

// dedupe returns the distinct strings of s.
func dedupe(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}
