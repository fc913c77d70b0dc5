package cacheserver

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestACLPermissions: commands, keys, channels and subcommands are
// checked for a user, inside MULTI too (the transaction then aborts).
func TestACLPermissions(t *testing.T) {
	srv := startServer(t, testConfig())
	admin, u := dialRaw(t, srv), dialRaw(t, srv)
	admin.must("+OK\r\n", "ACL", "SETUSER", "app", "on", ">pw", "-@all", "+@read", "+set", "+multi", "+exec",
		"+client|id", "+publish", "~app:*", "%R~ro:*", "&news:*")
	u.must("+OK\r\n", "AUTH", "app", "pw")
	u.must("+OK\r\n", "SET", "app:1", "v")
	u.must("$1\r\nv\r\n", "GET", "app:1")
	u.must("-NOPERM this user has no permissions to access one of the keys used as arguments\r\n", "SET", "other", "v")
	u.must("-NOPERM this user has no permissions to access one of the keys used as arguments\r\n", "SET", "ro:1", "v")
	u.must("$-1\r\n", "GET", "ro:1")
	u.must("-NOPERM this user has no permissions to run the 'del' command\r\n", "DEL", "app:1")
	u.must("-NOPERM this user has no permissions to run the 'client|kill' command\r\n", "CLIENT", "KILL", "ID", "1")
	if got := u.do("CLIENT", "ID"); !strings.HasPrefix(got, ":") {
		t.Fatalf("CLIENT ID: %q", got)
	}
	u.must(":0\r\n", "PUBLISH", "news:1", "m")
	u.must("-NOPERM this user has no permissions to access one of the channels used as arguments\r\n", "PUBLISH", "x", "m")
	u.must("+OK\r\n", "MULTI")
	u.must("-NOPERM this user has no permissions to access one of the keys used as arguments\r\n", "SET", "other", "v")
	u.must("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
	if got := admin.do("ACL", "LOG", "1"); !strings.Contains(got, "other") || !strings.Contains(got, "user=app") {
		t.Fatalf("ACL LOG: %q", got)
	}
	// EXEC checks queued commands again: the user changed in between.
	u.must("+OK\r\n", "MULTI")
	u.must("+QUEUED\r\n", "SET", "app:tx", "v")
	u.must("+QUEUED\r\n", "GET", "app:tx")
	admin.must("+OK\r\n", "ACL", "SETUSER", "app", "-set")
	u.must("*2\r\n-NOPERM this user has no permissions to run the 'set' command\r\n$-1\r\n", "EXEC")
	if got := admin.do("ACL", "LOG", "1"); !strings.Contains(got, "multi") {
		t.Fatalf("ACL LOG context: %q", got)
	}
	admin.must("+OK\r\n", "ACL", "SETUSER", "app", "+set")
	// Changes apply at once to a logged-in connection; deletion disconnects it.
	admin.must("+OK\r\n", "ACL", "SETUSER", "app", "resetkeys", "~new:*")
	u.must("-NOPERM this user has no permissions to access one of the keys used as arguments\r\n", "GET", "app:1")
	admin.must(":1\r\n", "ACL", "DELUSER", "app")
	u.expectClosed()
}

// TestACLRequirepassIsDefaultPassword: CONFIG SET requirepass sets the
// default user's password, and AUTH <pass> logs in as default.
func TestACLRequirepassIsDefaultPassword(t *testing.T) {
	srv := startServer(t, testConfig())
	c := dialRaw(t, srv)
	c.must("+OK\r\n", "CONFIG", "SET", "requirepass", "s3cret")
	if got := c.do("ACL", "LIST"); !strings.Contains(got, "user default on #") {
		t.Fatalf("ACL LIST: %q", got)
	}
	n := dialRaw(t, srv)
	n.must("-NOAUTH Authentication required.\r\n", "GET", "k")
	n.must("+OK\r\n", "AUTH", "s3cret")
	n.must("$7\r\ndefault\r\n", "ACL", "WHOAMI")
	c.must("+OK\r\n", "ACL", "SETUSER", "default", "off")
	d := dialRaw(t, srv)
	d.must("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "s3cret")
	c.must("+OK\r\n", "ACL", "SETUSER", "default", "on", "nopass")
	c.must("+OK\r\n", "CONFIG", "SET", "requirepass", "")
}

// TestACLTrackingNeverRevealsKeys: a tracking client (BCAST and default
// mode) is never told the name of a key its user may not read, even
// after its permissions shrink.
func TestACLTrackingNeverRevealsKeys(t *testing.T) {
	srv := startServer(t, testConfig())
	w := dialRaw(t, srv)
	w.must("+OK\r\n", "ACL", "SETUSER", "ro", "on", "nopass", "+@all", "%R~pub:*")
	b := dialResp3(t, srv)
	b.must("+OK\r\n", "AUTH", "ro", "x")
	b.must("+OK\r\n", "CLIENT", "TRACKING", "ON", "BCAST")
	w.must("+OK\r\n", "SET", "secret:1", "s")
	w.must("+OK\r\n", "SET", "pub:1", "p")
	b.next(inv("pub:1")) // secret:1 was written first: its push would have come first
	b.quiet()
	w.must("+OK\r\n", "MSET", "secret:2", "s", "pub:2", "p")
	b.next(inv("pub:2"))
	b.quiet()

	d := dialResp3(t, srv)
	d.must("+OK\r\n", "AUTH", "ro", "x")
	d.must("+OK\r\n", "CLIENT", "TRACKING", "ON")
	d.must("$1\r\np\r\n", "GET", "pub:1")
	w.must("+OK\r\n", "ACL", "SETUSER", "ro", "resetkeys", "%R~other:*")
	w.must("+OK\r\n", "SET", "pub:1", "q")
	d.quiet() // pub:1 is no longer readable by ro: no push names it
	b.quiet()
}

// TestACLFile: --aclfile loads users at start; ACL SAVE writes them (mode
// 0600, hashes only); ACL LOAD reloads and disconnects the clients of
// users it deleted.
func TestACLFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(file, []byte("user app on >pw ~app:* -@all +get\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.ACLFile = file
	srv := startServer(t, cfg)
	a, u := dialRaw(t, srv), dialRaw(t, srv)
	u.must("+OK\r\n", "AUTH", "app", "pw")
	a.must("+OK\r\n", "ACL", "SETUSER", "ops", "on", ">x", "+@all", "~*")
	a.must("+OK\r\n", "ACL", "SAVE")
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), "user ops on #") || strings.Contains(string(data), ">") {
		t.Fatalf("saved file: %q, %v", data, err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if err := os.WriteFile(file, []byte("user ops on >y +@all ~*\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.must("+OK\r\n", "ACL", "LOAD")
	u.expectClosed()
	a.must("*2\r\n$7\r\ndefault\r\n$3\r\nops\r\n", "ACL", "USERS")
	if err := os.WriteFile(file, []byte("user ops on badrule\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := a.do("ACL", "LOAD"); !strings.HasPrefix(got, "-ERR Error loading ACLs, ") {
		t.Fatalf("bad file: %q", got)
	}
	// requirepass stays the password of a default user the file lacks.
	if err := os.WriteFile(file, []byte("user ops on >y +@all ~*\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.RequirePass = "s3cret"
	srv = startServer(t, cfg)
	if got := dialRaw(t, srv).do("GET", "k"); !strings.HasPrefix(got, "-NOAUTH") {
		t.Fatalf("requirepass dropped by the aclfile: GET answered %q", got)
	}
	cfg.ACLFile = filepath.Join(t.TempDir(), "missing.acl")
	if _, err := New(cfg, nil); err == nil {
		t.Fatal("New with a missing aclfile succeeded")
	}
}

// TestACLRevokedSubscriberIsDropped: a subscriber whose user loses the
// channel is disconnected, as in Redis.
func TestACLRevokedSubscriberIsDropped(t *testing.T) {
	srv := startServer(t, testConfig())
	a, s := dialRaw(t, srv), dialRaw(t, srv)
	a.must("+OK\r\n", "ACL", "SETUSER", "ps", "on", "nopass", "+@all", "resetchannels", "&foo")
	s.must("+OK\r\n", "AUTH", "ps", "x")
	s.must("*3\r\n$9\r\nsubscribe\r\n$3\r\nfoo\r\n:1\r\n", "SUBSCRIBE", "foo")
	a.must("+OK\r\n", "ACL", "SETUSER", "ps", "resetchannels", "&foo", "&bar") // foo kept
	if !strings.Contains(a.do("CLIENT", "LIST"), "user=ps") {
		t.Fatal("a subscriber that kept its channel was disconnected")
	}
	a.must("+OK\r\n", "ACL", "SETUSER", "ps", "resetchannels")
	s.expectClosed()
}

// aclBenchConn returns a conn logged in as the default user, or as a
// restricted user (-@all +get +set ~key:*) when restricted.
func aclBenchConn(t testing.TB, restricted bool) *conn {
	c := newTestConn(t, newTestServer(t, testConfig()))
	if restricted {
		c.run("ACL", "SETUSER", "bench", "on", ">pw", "-@all", "+get", "+set", "~key:*")
		if got := c.run("AUTH", "bench", "pw"); got != "+OK\r\n" {
			t.Fatalf("AUTH: %q", got)
		}
	}
	return c
}

// TestACLCheckZeroAllocs: the check adds no allocation for a restricted
// user either.
func TestACLCheckZeroAllocs(t *testing.T) {
	c := aclBenchConn(t, true)
	set := [][]byte{[]byte("SET"), []byte("key:1"), []byte("v")}
	get := [][]byte{[]byte("GET"), []byte("key:1")}
	c.execute(set)
	n := testing.AllocsPerRun(1000, func() {
		c.execute(set)
		c.execute(get)
		c.w.Reset(io.Discard)
	})
	if n != 0 {
		t.Errorf("%.1f allocs per SET+GET, want 0", n)
	}
}

// BenchmarkDispatchACL is BenchmarkDispatch as the default user and as a
// restricted one: the difference is the permission check.
func BenchmarkDispatchACL(b *testing.B) {
	for _, restricted := range []bool{false, true} {
		b.Run(fmt.Sprintf("restricted=%v", restricted), func(b *testing.B) {
			benchSetGet(b, aclBenchConn(b, restricted))
		})
	}
}
