package cacheserver

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

// ownCommands are the commands of the four tables the string/key files own.
func ownCommands() []*command {
	var all []*command
	for _, g := range [][]*command{stringCommands(), keyCommands(), bitCommands(), scanCommands()} {
		all = append(all, g...)
	}
	return all
}

// TestCommandInfoMatchesRedis compares arity, flags, key positions and ACL
// categories of every command with what redis-server 7.0 reports in COMMAND
// INFO, and group/since/summary with COMMAND DOCS.
func TestCommandInfoMatchesRedis(t *testing.T) {
	rs := redistest.StartServer(t)
	cl := dialDiff(t, rs.Addr)
	for _, cmd := range ownCommands() {
		r, err := cl.do("COMMAND", "INFO", cmd.name)
		if err != nil || len(r.elems) != 1 || len(r.elems[0].elems) < 7 {
			t.Fatalf("COMMAND INFO %s: %v %v", cmd.name, r, err)
		}
		info := r.elems[0].elems
		got := fmt.Sprint(cmd.name, cmd.arity, cmd.flags, cmd.firstKey, cmd.lastKey, cmd.step, cmd.acl)
		want := fmt.Sprint(info[0].str, atoi(info[1].str), strs(info[2]), atoi(info[3].str),
			atoi(info[4].str), atoi(info[5].str), strs(info[6]))
		if got != want {
			t.Errorf("%s:\n  table: %s\n  redis: %s", cmd.name, got, want)
		}
		checkDocs(t, cl, cmd)
	}
}

func checkDocs(t *testing.T, cl *diffClient, cmd *command) {
	t.Helper()
	r, err := cl.do("COMMAND", "DOCS", cmd.name)
	if err != nil || len(r.elems) != 2 {
		t.Fatalf("COMMAND DOCS %s: %v %v", cmd.name, r, err)
	}
	doc := map[string]string{}
	for i := 0; i+1 < len(r.elems[1].elems); i += 2 {
		doc[r.elems[1].elems[i].str] = r.elems[1].elems[i+1].str
	}
	if doc["group"] != cmd.group || doc["since"] != cmd.since || doc["summary"] != cmd.summary {
		t.Errorf("%s docs: table %q %q %q, redis %q %q %q", cmd.name, cmd.group, cmd.since,
			cmd.summary, doc["group"], doc["since"], doc["summary"])
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func strs(r reply) []string {
	out := make([]string, 0, len(r.elems))
	for _, e := range r.elems {
		out = append(out, e.str)
	}
	return out
}

// TestCommandTablesComplete checks that every command of the brief is in the
// tables once, with a handler.
func TestCommandTablesComplete(t *testing.T) {
	want := []string{"get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex",
		"mget", "mset", "msetnx", "append", "strlen", "getrange", "substr", "setrange",
		"getbit", "setbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro", "lcs", "incr", "incrby", "decr", "decrby",
		"incrbyfloat", "del", "unlink", "exists", "touch", "type", "expire", "pexpire",
		"expireat", "pexpireat", "expiretime", "pexpiretime", "ttl", "pttl", "persist",
		"scan", "keys", "randomkey", "dbsize", "flushdb", "flushall"}
	var got []string
	for _, cmd := range ownCommands() {
		if cmd.handler == nil {
			t.Errorf("%s has no handler", cmd.name)
		}
		got = append(got, cmd.name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("commands:\n got  %v\n want %v", got, want)
	}
}
