package cacheserver

import (
	"fmt"
	"testing"

	"github.com/ringcache/ringcache/internal/redistest"
)

// TestTypeCommandInfoMatchesRedis is TestCommandInfoMatchesRedis for the
// hash and set tables (the Redis 7.4 field-TTL commands are unknown to
// redis-server 7.0 and are skipped).
func TestTypeCommandInfoMatchesRedis(t *testing.T) {
	rs := redistest.StartServer(t)
	cl := dialDiff(t, rs.Addr)
	for _, cmd := range append(hashCommands(), setCommands()...) {
		if cmd.since == "7.4.0" {
			continue
		}
		r, err := cl.do("COMMAND", "INFO", cmd.name)
		if err != nil || len(r.elems) != 1 || len(r.elems[0].elems) < 7 {
			t.Fatalf("COMMAND INFO %s: %v %v", cmd.name, r, err)
		}
		info := r.elems[0].elems
		first, last, step := cmd.firstKey, cmd.lastKey, cmd.step
		if cmd.keysFn != nil { // movablekeys: Redis reports no key range
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
