package cacheserver

import "testing"

// Pub/sub compared with redis-server 7.0, connection by connection: the
// confirmations, messages (message, pmessage, smessage) and PUBSUB answers
// in RESP2 and RESP3 (tracking_diff_test.go runs the scenarios).
var pubsubScenarios = []trackScenario{
	{"patterns", []bool{false, true, false}, []trackStep{
		st(0, "PSUBSCRIBE", "news.*", "n?ws.a"), st(0, "READ"), st(1, "PSUBSCRIBE", "*"), st(1, "SUBSCRIBE", "news.a"),
		st(2, "PUBLISH", "news.a", "m1"), st(0, "READ2"), st(1, "READ"), st(1, "READ"),
		st(2, "PUBLISH", "other", "m2"), st(1, "READ"), st(0, "PING"),
		st(2, "PUBSUB", "NUMPAT"), st(2, "PUBSUB", "CHANNELS"), st(2, "PUBSUB", "NUMSUB", "news.a", "x"),
		st(0, "PUNSUBSCRIBE", "n?ws.a", "nope"), st(0, "READ"), st(2, "PUBLISH", "news.b", "m3"), st(0, "READ"), st(1, "READ"),
		st(0, "PUNSUBSCRIBE"), st(0, "PUNSUBSCRIBE"), st(0, "SET", "x", "1"),
		st(1, "PUNSUBSCRIBE"), st(1, "UNSUBSCRIBE"), st(1, "UNSUBSCRIBE"), st(2, "PUBSUB", "NUMPAT"),
	}},
	{"mixed counts", []bool{false, false}, []trackStep{
		st(0, "SUBSCRIBE", "a", "b"), st(0, "READ"), st(0, "PSUBSCRIBE", "c*"), st(0, "SSUBSCRIBE", "s1"),
		st(0, "UNSUBSCRIBE", "a"), st(0, "PUNSUBSCRIBE", "c*"), st(0, "SUNSUBSCRIBE"), st(0, "SUNSUBSCRIBE"),
		st(0, "GET", "x"), st(0, "PUBSUB", "CHANNELS"), st(0, "UNSUBSCRIBE"), st(0, "UNSUBSCRIBE"),
		st(1, "PUBSUB", "CHANNELS", "*"), st(1, "PUBSUB", "CHANNELS", "a", "b"), st(1, "PUBSUB", "NUMPAT", "x"),
		st(1, "PUBSUB", "NOPE"), st(1, "PUBSUB", "HELP"), st(1, "PUBSUB", "NUMSUB"),
	}},
	{"shard channels", []bool{true, false, false}, []trackStep{
		st(0, "SSUBSCRIBE", "{t}a", "{t}b"), st(0, "READ"), st(1, "SSUBSCRIBE", "{t}a"), st(1, "SUBSCRIBE", "{t}a"),
		st(2, "SPUBLISH", "{t}a", "hi"), st(0, "READ"), st(1, "READ"),
		st(2, "PUBLISH", "{t}a", "plain"), st(1, "READ"), st(0, "PING"),
		st(2, "PUBSUB", "SHARDCHANNELS", "*a"), st(2, "PUBSUB", "SHARDCHANNELS", "*b"),
		st(2, "PUBSUB", "SHARDNUMSUB", "{t}a", "{t}b", "zz"), st(2, "PUBSUB", "CHANNELS"),
		st(0, "SUNSUBSCRIBE", "{t}a"), st(2, "SPUBLISH", "{t}a", "again"), st(1, "READ"), st(0, "PING"),
		st(2, "SPUBLISH", "{t}a"), st(2, "SSUBSCRIBE"),
	}},
	{"resp3 mixed with commands", []bool{true, false}, []trackStep{
		st(0, "SUBSCRIBE", "ch"), st(0, "PSUBSCRIBE", "c*"), st(0, "SET", "k", "v"), st(0, "GET", "k"),
		st(1, "PUBLISH", "ch", "x"), st(0, "READ"), st(0, "READ"), st(0, "PUBSUB", "NUMSUB", "ch"),
		st(0, "UNSUBSCRIBE"), st(0, "PUNSUBSCRIBE"), st(0, "PUNSUBSCRIBE"),
	}},
}

func TestPubsubDiffAgainstRedis(t *testing.T) { diffScenarios(t, pubsubScenarios) }

// Confirmations are pushes that CLIENT REPLY OFF and SKIP do not silence.
var pubsubReplyOffScenarios = []trackScenario{
	{"reply off", []bool{true, false}, []trackStep{
		st(0, "SEND", "CLIENT", "REPLY", "OFF"), st(0, "SEND", "SUBSCRIBE", "ch"), st(0, "READ"),
		st(0, "SEND", "PSUBSCRIBE", "c*"), st(0, "READ"),
		st(1, "PUBLISH", "ch", "x"), st(0, "READ"), st(0, "READ"), st(0, "SEND", "UNSUBSCRIBE", "ch"), st(0, "READ"),
		st(0, "CLIENT", "REPLY", "ON"), st(0, "PING"),
	}},
	{"reply skip resp2", []bool{false}, []trackStep{
		st(0, "SEND", "CLIENT", "REPLY", "SKIP"), st(0, "SEND", "PSUBSCRIBE", "*"), st(0, "READ"), st(0, "PING"),
	}},
}

func TestPubsubReplyOffDiffAgainstRedis(t *testing.T) { diffScenarios(t, pubsubReplyOffScenarios) }
