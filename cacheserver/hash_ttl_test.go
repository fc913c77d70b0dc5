package cacheserver

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/poll"
)

// expectReply runs args and compares the canonical reply (diff_test.go's
// rendering, e.g. `*[":1" ":-2"]`).
func expectReply(t *testing.T, cl *diffClient, want string, args ...string) {
	t.Helper()
	r, err := cl.do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	if got := r.String(); got != want {
		t.Fatalf("%q = %s, want %s", args, got, want)
	}
}

// TestHashFieldTTL checks the field-TTL commands against Redis 7.4's
// documented behaviour (redis-server here is 7.0, without them).
func TestHashFieldTTL(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Store.ActiveExpiry = 10 * time.Millisecond
	cl := dialDiff(t, startCmdServerWith(t, cfg))
	ok := func(want string, args ...string) { t.Helper(); expectReply(t, cl, want, args...) }

	ok(`*[:"-2" :"-2"]`, "HEXPIRE", "nokey", "100", "FIELDS", "2", "a", "b")
	ok(`*[:"-2"]`, "HTTL", "nokey", "FIELDS", "1", "a")
	ok(`:"2"`, "HSET", "h", "f1", "v1", "f2", "v2")
	ok(`$"listpack"`, "OBJECT", "ENCODING", "h")
	ok(`*[:"1" :"-2"]`, "HEXPIRE", "h", "100", "FIELDS", "2", "f1", "nofield")
	ok(`$"listpackex"`, "OBJECT", "ENCODING", "h")
	ok(`*[:"100" :"-1" :"-2"]`, "HTTL", "h", "FIELDS", "3", "f1", "f2", "nofield")
	// NX/XX/GT/LT: a field without a TTL counts as an infinite TTL.
	ok(`*[:"0" :"1"]`, "HEXPIRE", "h", "100", "NX", "FIELDS", "2", "f1", "f2")
	ok(`*[:"1"]`, "HPERSIST", "h", "FIELDS", "1", "f2")
	ok(`*[:"0"]`, "HEXPIRE", "h", "100", "XX", "FIELDS", "1", "f2")
	ok(`*[:"1" :"0"]`, "HEXPIRE", "h", "200", "GT", "FIELDS", "2", "f1", "f2")
	ok(`*[:"0" :"1"]`, "HEXPIRE", "h", "300", "LT", "FIELDS", "2", "f1", "f2")
	ok(`*[:"200" :"300"]`, "HTTL", "h", "FIELDS", "2", "f1", "f2")
	r, _ := cl.do("HPEXPIRETIME", "h", "FIELDS", "1", "f1")
	if ms, _ := strconv.ParseInt(r.elems[0].str, 10, 64); ms < time.Now().UnixMilli()+190_000 || ms > time.Now().UnixMilli()+201_000 {
		t.Fatalf("HPEXPIRETIME = %v", r)
	}
	r, _ = cl.do("HEXPIRETIME", "h", "FIELDS", "1", "f1")
	if s, _ := strconv.ParseInt(r.elems[0].str, 10, 64); s < time.Now().Unix()+190 || s > time.Now().Unix()+201 {
		t.Fatalf("HEXPIRETIME = %v", r)
	}
	// HSET clears a field's TTL, HINCRBY keeps it.
	ok(`:"0"`, "HSET", "h", "f2", "new")
	ok(`*[:"-1"]`, "HTTL", "h", "FIELDS", "1", "f2")
	ok(`*[:"1"]`, "HEXPIRE", "h", "100", "FIELDS", "1", "f2")
	ok(`:"1"`, "HSET", "h", "n", "1")
	ok(`*[:"1"]`, "HEXPIRE", "h", "100", "FIELDS", "1", "n")
	ok(`:"3"`, "HINCRBY", "h", "n", "2")
	ok(`*[:"100"]`, "HTTL", "h", "FIELDS", "1", "n")
	// 0 seconds or a past time deletes the field (2); the last field takes the key.
	ok(`*[:"2"]`, "HEXPIRE", "h", "0", "FIELDS", "1", "n")
	ok(`:"0"`, "HEXISTS", "h", "n")
	ok(`*[:"2" :"-2"]`, "HPEXPIREAT", "h", "1", "FIELDS", "2", "f2", "f2x")
	ok(`*[:"1" :"-1" :"-2"]`, "HPERSIST", "h", "FIELDS", "3", "f1", "f1", "x")
	ok(`*[:"2"]`, "HEXPIREAT", "h", strconv.FormatInt(time.Now().Unix()-10, 10), "FIELDS", "1", "f1")
	ok(`:"0"`, "EXISTS", "h")
	// Errors.
	ok(`-"ERR The `+"`numfields`"+` parameter must match the number of arguments"`, "HEXPIRE", "h", "10", "FIELDS", "2", "f")
	ok(`-"ERR Mandatory argument FIELDS is missing or not at the right position"`, "HEXPIRE", "h", "10", "FIELD", "1", "f")
	ok(`-"ERR Mandatory argument FIELDS is missing or not at the right position"`, "HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "f")
	ok(`-"ERR Number of fields must be a positive integer"`, "HEXPIRE", "h", "10", "FIELDS", "0", "f")
	ok(`-"ERR invalid expire time, must be >= 0"`, "HEXPIRE", "h", "-1", "FIELDS", "1", "f")
	ok(`-"ERR invalid expire time in 'hexpire' command"`, "HEXPIRE", "h", "99999999999999", "FIELDS", "1", "f")
	ok(`-"ERR value is not an integer or out of range"`, "HPEXPIRE", "h", "x", "FIELDS", "1", "f")
	ok(`-"ERR Number of fields must be a positive integer"`, "HTTL", "h", "FIELDS", "x", "f")
	ok(`+"OK"`, "SET", "s", "v")
	ok(`-"WRONGTYPE Operation against a key holding the wrong kind of value"`, "HEXPIRE", "s", "10", "FIELDS", "1", "f")
	ok(`-"WRONGTYPE Operation against a key holding the wrong kind of value"`, "HTTL", "s", "FIELDS", "1", "f")

	// Expired fields are invisible at once and deleted by the active cycle,
	// small and large hashes alike, and the emptied key with them.
	for _, n := range []int{3, 300} {
		key := "exp" + strconv.Itoa(n)
		args := []string{"HSET", key}
		for i := 0; i < n; i++ {
			args = append(args, "f"+strconv.Itoa(i), "v")
		}
		cl.do(args...)
		ok(`*[:"1" :"1"]`, "HPEXPIRE", key, "30", "FIELDS", "2", "f0", "f1")
		poll.Until(t, 5*time.Second, "fields expire", func() bool {
			r, _ := cl.do("HLEN", key)
			return r.str == strconv.Itoa(n-2)
		})
		ok(`$(nil)`, "HGET", key, "f0")
		r, _ := cl.do("HGETALL", key)
		if strings.Contains(r.String(), `"f1"`) || len(r.elems) != 2*(n-2) {
			t.Fatalf("HGETALL after expiry: %d elements", len(r.elems))
		}
		args = []string{"HPEXPIRE", key, "20", "FIELDS", strconv.Itoa(n - 2)}
		for i := 2; i < n; i++ {
			args = append(args, "f"+strconv.Itoa(i))
		}
		cl.do(args...)
		poll.Until(t, 5*time.Second, "active expiry deletes the emptied hash", func() bool {
			r, _ := cl.do("DBSIZE")
			return r.str == "1" // only s
		})
	}
}
