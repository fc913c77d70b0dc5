package cacheserver

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

// TestTypeCommandInfoMatchesRedis is TestCommandInfoMatchesRedis for the
// hash, set, sorted set and list tables (the Redis 7.4 field-TTL commands are unknown to
// redis-server 7.0 and are skipped).
func TestTypeCommandInfoMatchesRedis(t *testing.T) {
	rs := redistest.StartServer(t)
	cl := dialDiff(t, rs.Addr)
	for _, cmd := range slices.Concat(hashCommands(), setCommands(), zsetCommands(), listCommands()) {
		if cmd.since == "7.4.0" {
			continue
		}
		r, err := cl.do("COMMAND", "INFO", cmd.name)
		if err != nil || len(r.elems) != 1 || len(r.elems[0].elems) < 7 {
			t.Fatalf("COMMAND INFO %s: %v %v", cmd.name, r, err)
		}
		info := r.elems[0].elems
		first, last, step := cmd.firstKey, cmd.lastKey, cmd.step
		if cmd.keysFn != nil && cmd.firstKey != 1 { // movablekeys: Redis reports no key range (Z*STORE: the destination)
			first, last, step = 0, 0, 0
		}
		got := fmt.Sprint(cmd.name, cmd.arity, cmd.flags, first, last, step, cmd.acl)
		want := fmt.Sprint(info[0].str, atoi(info[1].str), strs(info[2]), atoi(info[3].str),
			atoi(info[4].str), atoi(info[5].str), strs(info[6]))
		if got != want {
			t.Errorf("%s:\n  table: %s\n  redis: %s", cmd.name, got, want)
		}
		checkDocs(t, cl, cmd)
	}
}

// TestTrackingTypeWrites: every modification of a hash, set or sorted set invalidates a
// tracking client that read it, and so does a hash emptied by field expiry.
func TestTrackingTypeWrites(t *testing.T) {
	cfg := testConfig()
	cfg.Store.ActiveExpiry = 10 * time.Millisecond
	srv := startServer(t, cfg)
	a, w := dialResp3(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	w.must(":1\r\n", "HSET", "h", "f", "v")
	w.must(":1\r\n", "SADD", "s", "m")
	w.must(":1\r\n", "ZADD", "z", "1", "m")
	writes := [][]string{
		{"HSET", "h", "f", "v2"}, {"HINCRBY", "h", "n", "1"}, {"HDEL", "h", "n"},
		{"HEXPIRE", "h", "100", "FIELDS", "1", "f"}, {"HPERSIST", "h", "FIELDS", "1", "f"},
		{"SADD", "s", "m2"}, {"SREM", "s", "m2"},
		{"SINTERSTORE", "s", "s"}, {"EXPIRE", "h", "100"},
		{"ZADD", "z", "2", "m"}, {"ZINCRBY", "z", "1", "m"}, {"ZADD", "z", "1", "n"}, {"ZREM", "z", "n"},
		{"ZPOPMIN", "z"}, {"ZADD", "z", "1", "m", "2", "n"}, {"ZREMRANGEBYRANK", "z", "0", "0"},
		{"ZUNIONSTORE", "z", "1", "z"}, {"ZRANGESTORE", "z", "z", "0", "-1"},
	}
	for _, wr := range writes {
		key := wr[1]
		switch key {
		case "h":
			a.do("HGETALL", "h")
		case "z":
			a.do("ZRANGE", "z", "0", "-1")
		default:
			a.do("SMEMBERS", "s")
		}
		w.do(wr...)
		a.next(inv(key))
		a.quiet()
	}
	a.do("HGET", "h", "f")
	w.do("HPEXPIRE", "h", "20", "FIELDS", "1", "f") // the last field: its expiry deletes h
	a.next(inv("h"))
	a.quiet()
	a.do("HGET", "h", "f")
	a.next(inv("h")) // deleted by the active cycle
}
