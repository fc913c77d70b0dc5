package cacheserver

import (
	"fmt"
	"sort"
)

// PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP, as Redis
// 7.0 answers them: about this node's subscribers (as each node of a Redis
// Cluster does), NUMSUB and SHARDNUMSUB as a flat name, count array.

var pubsubSubcommands = map[string]subcommand{
	"channels":      {-2, pubsubNames(subChannel)},
	"shardchannels": {-2, pubsubNames(subShard)},
	"numsub":        {-2, pubsubNumsub(subChannel)},
	"shardnumsub":   {-2, pubsubNumsub(subShard)},
	"numpat":        {2, func(c *conn, _ [][]byte) { c.w.WriteInt(int64(c.srv.pubsub.numNames(subPattern))) }},
	"help":          {2, pubsubHelp},
}

func pubsubCmd(c *conn, args [][]byte) { c.runSubcommand("PUBSUB", pubsubSubcommands, args) }

// pubsubNames answers (SHARD)CHANNELS [pattern]; more than one pattern is
// a wrong number of arguments, as in Redis.
func pubsubNames(kind subKind) func(*conn, [][]byte) {
	return func(c *conn, args [][]byte) {
		if len(args) > 3 {
			c.replyErrString(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. "+
				"Try PUBSUB HELP.", args[1]))
			return
		}
		var pattern []byte
		if len(args) == 3 {
			pattern = args[2]
		}
		names := c.srv.pubsub.names(kind, pattern)
		sort.Strings(names)
		c.w.WriteArray(len(names))
		for _, n := range names {
			c.w.WriteBulkString(n)
		}
	}
}

func pubsubNumsub(kind subKind) func(*conn, [][]byte) {
	return func(c *conn, args [][]byte) {
		c.w.WriteArray(2 * (len(args) - 2))
		for _, ch := range args[2:] {
			c.w.WriteBulk(ch)
			c.w.WriteInt(int64(c.srv.pubsub.subscribers(kind, string(ch))))
		}
	}
}

func pubsubHelp(c *conn, _ [][]byte) {
	c.writeHelp("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
		"HELP",
		"    Prints this help.")
}

// appendPubsubMessage encodes a message push: [>|*]3 verb channel payload,
// or [>|*]4 pmessage pattern channel payload when pattern is not nil.
func appendPubsubMessage(dst []byte, resp3 bool, verb string, pattern, channel, payload []byte) []byte {
	n := 3
	if pattern != nil {
		n = 4
	}
	dst = appendPushHeader(dst, resp3, n)
	dst = appendBulk(dst, []byte(verb))
	if pattern != nil {
		dst = appendBulk(dst, pattern)
	}
	dst = appendBulk(dst, channel)
	return appendBulk(dst, payload)
}
