package cacheserver

import "testing"

// Keyspace notifications compared with redis-server 7.0: the flags as
// CONFIG GET prints them, and the events (channel, payload, order) of the
// string and generic commands, sorted sets, lists, expiry and key misses.
var notifyScenarios = []trackScenario{
	{"config flags", []bool{false}, []trackStep{
		st(0, "CONFIG", "GET", "notify-keyspace-events"),
		st(0, "CONFIG", "SET", "notify-keyspace-events", "KEA"), st(0, "CONFIG", "GET", "notify-keyspace-events"),
		st(0, "CONFIG", "SET", "notify-keyspace-events", "Ag$n"), st(0, "CONFIG", "GET", "notify-keyspace-events"),
		st(0, "CONFIG", "SET", "notify-keyspace-events", "Ex$gm"), st(0, "CONFIG", "GET", "notify-keyspace-events"),
		st(0, "CONFIG", "SET", "notify-keyspace-events", "KEq"), st(0, "CONFIG", "GET", "notify-keyspace-events"),
		st(0, "CONFIG", "SET", "notify-keyspace-events", "lshztdenmKE"),
		st(0, "CONFIG", "GET", "notify-keyspace-events"),
		st(0, "CONFIG", "SET", "notify-keyspace-events", ""), st(0, "CONFIG", "GET", "notify-keyspace-events"),
	}},
	{"string and generic events", []bool{false, false}, []trackStep{
		st(1, "CONFIG", "SET", "notify-keyspace-events", "KEA"), st(0, "PSUBSCRIBE", "__key*__:*"),
		st(1, "SET", "{k}", "1"), st(0, "READ"), st(0, "READ"),
		st(1, "SET", "{k}", "2", "EX", "100"), st(0, "READ"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "SET", "{k}", "3", "NX"), st(1, "INCR", "{k}"), st(0, "READ"), st(0, "READ"),
		st(1, "INCRBYFLOAT", "{k}", "1.5"), st(0, "READ"), st(0, "READ"),
		st(1, "APPEND", "{k}", "x"), st(0, "READ"), st(0, "READ"),
		st(1, "SETRANGE", "{k}", "0", "y"), st(0, "READ"), st(0, "READ"),
		st(1, "PERSIST", "{k}"), st(0, "READ"), st(0, "READ"), st(1, "PERSIST", "{k}"),
		st(1, "MSET", "a", "1", "b", "2"), st(0, "READ"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "DEL", "a", "nope", "b"), st(0, "READ"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "RENAME", "{k}", "{k}2"), st(0, "READ"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "COPY", "{k}2", "{k}3"), st(0, "READ"), st(0, "READ"),
		st(1, "EXPIRE", "{k}3", "100"), st(0, "READ"), st(0, "READ"),
		st(1, "EXPIRE", "{k}3", "-1"), st(0, "READ"), st(0, "READ"),
		st(1, "GETDEL", "{k}2"), st(0, "READ"), st(0, "READ"),
		st(1, "SETBIT", "bits", "3", "1"), st(0, "READ"), st(0, "READ"),
		st(1, "GETEX", "bits", "PX", "100000"), st(0, "READ"), st(0, "READ"),
		st(1, "GETEX", "bits", "PERSIST"), st(0, "READ"), st(0, "READ"), st(1, "GETEX", "bits", "PERSIST"),
		st(1, "GET", "missing"), // m is not in A
		st(1, "SET", "short", "v", "PX", "1"), st(0, "READ"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(0, "READ"), st(0, "READ"), // expired, by the active expiry cycle
		st(1, "CONFIG", "SET", "notify-keyspace-events", "Eg"), st(1, "SET", "x", "1"), st(1, "DEL", "x"),
		st(0, "READ"), st(1, "CONFIG", "SET", "notify-keyspace-events", "Em"), st(1, "GET", "nokey"), st(0, "READ"),
		st(1, "CONFIG", "SET", "notify-keyspace-events", ""),
		st(1, "SET", "y", "1"), st(1, "DEL", "y"), st(0, "PING"),
	}},
	{"new key events", []bool{false, false}, []trackStep{
		st(1, "CONFIG", "SET", "notify-keyspace-events", "En$g"), st(0, "PSUBSCRIBE", "*"),
		st(1, "SET", "{n}a", "1"), st(0, "READ"), st(0, "READ"), st(1, "SET", "{n}a", "2"), st(0, "READ"),
		st(1, "SET", "{n}b", "1", "NX"), st(0, "READ"), st(0, "READ"), st(1, "SETNX", "{n}c", "1"), st(0, "READ"),
		st(0, "READ"), st(1, "MSET", "{n}a", "3", "{n}d", "4"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "MSETNX", "{n}e", "1", "{n}f", "2"), st(0, "READ"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "INCR", "{n}g"), st(0, "READ"), st(0, "READ"), st(1, "INCRBYFLOAT", "{n}h", "1"), st(0, "READ"),
		st(0, "READ"), st(1, "APPEND", "{n}i", "x"), st(0, "READ"), st(0, "READ"),
		st(1, "SETRANGE", "{n}j", "2", "x"), st(0, "READ"), st(0, "READ"),
		st(1, "SETBIT", "{n}k", "1", "1"), st(0, "READ"), st(0, "READ"),
		st(1, "BITFIELD", "{n}l", "SET", "u8", "0", "1"), st(0, "READ"), st(0, "READ"),
		st(1, "BITOP", "OR", "{n}m", "{n}a"), st(0, "READ"), st(0, "READ"),
		st(1, "COPY", "{n}a", "{n}o"), st(0, "READ"), st(0, "READ"),
		st(1, "RENAME", "{n}o", "{n}p"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "RENAME", "{n}p", "{n}a"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "CONFIG", "SET", "notify-keyspace-events", ""), st(0, "PING"),
	}},
	{"sorted set events", []bool{false, false}, []trackStep{
		st(1, "CONFIG", "SET", "notify-keyspace-events", "Ezgn"), st(0, "PSUBSCRIBE", "*"),
		st(1, "ZADD", "{z}a", "1", "x", "2", "y", "3", "w"), st(0, "READ"), st(0, "READ"),
		st(1, "ZADD", "{z}a", "1", "x"), st(1, "ZADD", "{z}a", "INCR", "1", "x"), st(0, "READ"),
		st(1, "ZINCRBY", "{z}a", "1", "y"), st(0, "READ"),
		st(1, "ZREM", "{z}a", "nope"), st(1, "ZREM", "{z}a", "w"), st(0, "READ"),
		st(1, "ZUNIONSTORE", "{z}b", "1", "{z}a"), st(0, "READ"),
		st(1, "ZRANGESTORE", "{z}c", "{z}a", "0", "0"), st(0, "READ"),
		st(1, "ZINTERSTORE", "{z}c", "2", "{z}a", "{z}nope"), st(0, "READ"),
		st(1, "ZPOPMIN", "{z}b"), st(0, "READ"), st(1, "ZPOPMAX", "{z}b"), st(0, "READ"), st(0, "READ"),
		st(1, "ZREMRANGEBYSCORE", "{z}a", "-inf", "2"), st(1, "ZREMRANGEBYRANK", "{z}a", "0", "0"),
		st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "CONFIG", "SET", "notify-keyspace-events", ""), st(0, "PING"),
	}},
	{"list events", []bool{false, false}, []trackStep{
		st(1, "CONFIG", "SET", "notify-keyspace-events", "Elgn"), st(0, "PSUBSCRIBE", "*"),
		st(1, "RPUSH", "{l}a", "1", "2", "3"), st(0, "READ"), st(0, "READ"),
		st(1, "LPUSH", "{l}a", "0"), st(0, "READ"), st(1, "LPUSHX", "{l}none", "x"),
		st(1, "LPOP", "{l}a"), st(0, "READ"), st(1, "RPOP", "{l}a", "2"), st(0, "READ"),
		st(1, "LSET", "{l}a", "0", "x"), st(0, "READ"),
		st(1, "LINSERT", "{l}a", "BEFORE", "x", "y"), st(0, "READ"), st(1, "LINSERT", "{l}a", "BEFORE", "no", "z"),
		st(1, "LREM", "{l}a", "0", "nope"), st(1, "LTRIM", "{l}a", "0", "-1"), st(0, "READ"),
		st(1, "LMOVE", "{l}a", "{l}b", "LEFT", "RIGHT"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "RPOPLPUSH", "{l}a", "{l}b"), st(0, "READ"), st(0, "READ"), st(0, "READ"),
		st(1, "LMPOP", "2", "{l}a", "{l}b", "LEFT", "COUNT", "5"), st(0, "READ"), st(0, "READ"),
		st(1, "RPUSH", "{l}c", "a", "b", "a"), st(0, "READ"), st(0, "READ"),
		st(1, "LREM", "{l}c", "0", "a"), st(0, "READ"), st(1, "LTRIM", "{l}c", "5", "6"), st(0, "READ"), st(0, "READ"),
		st(1, "CONFIG", "SET", "notify-keyspace-events", ""), st(0, "PING"),
	}},
}

func TestNotifyDiffAgainstRedis(t *testing.T) { diffScenarios(t, notifyScenarios) }
