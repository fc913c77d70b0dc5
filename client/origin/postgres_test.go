package origin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/pgtest"
)

// startPostgres starts a server with table kv(k text, v bytea) holding
// a, empty, null, bin and k000…k249.
func startPostgres(t *testing.T) *pgtest.Server {
	t.Helper()
	s := pgtest.Start(t)
	s.Exec(t,
		"CREATE TABLE kv (k text PRIMARY KEY, v bytea)",
		`INSERT INTO kv VALUES ('a', 'alpha'), ('empty', ''), ('null', NULL), ('bin', decode('00ff0a', 'hex'))`,
		`INSERT INTO kv SELECT 'k' || lpad(i::text, 3, '0'), convert_to('v' || i, 'UTF8') FROM generate_series(0, 249) i`,
		"CREATE TABLE users (id int PRIMARY KEY, name text)",
		"INSERT INTO users VALUES (1, 'Ada')")
	return s
}

func newPostgresOrigin(t *testing.T, dsn string, cfg SQLConfig) *SQLOrigin {
	t.Helper()
	o, err := NewPostgres(dsn, cfg)
	if err != nil {
		t.Fatalf("NewPostgres: %v", err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func TestPostgres(t *testing.T) {
	s := startPostgres(t)
	t.Run("Load", func(t *testing.T) {
		o := newPostgresOrigin(t, s.DSN, DefaultPostgresConfig())
		checkLoad(t, o, "a", []byte("alpha"))
		checkLoad(t, o, "empty", []byte{})
		checkLoad(t, o, "bin", []byte{0, 255, '\n'})
		checkLoad(t, o, "null", nil)
		checkLoad(t, o, "missing", nil)
		checkLoad(t, o, "a' OR '1'='1", nil)
	})
	t.Run("TextColumnAndCast", func(t *testing.T) {
		cfg := DefaultPostgresConfig()
		cfg.Query = "SELECT name FROM users WHERE id::text = $1"
		cfg.BatchQuery = "SELECT id::text, name FROM users WHERE id::text IN ({keys})"
		o := newPostgresOrigin(t, s.DSN, cfg)
		checkLoad(t, o, "1", []byte("Ada"))
		checkLoad(t, o, "2", nil)
		checkMany(t, o, []string{"1", "2"}, map[string]string{"1": "Ada"})
	})
	t.Run("LoadMany", func(t *testing.T) { testPostgresLoadMany(t, s) })
	t.Run("Deadline", func(t *testing.T) { testPostgresDeadline(t, s) })
}

func testPostgresLoadMany(t *testing.T, s *pgtest.Server) {
	keys := []string{"missing", "null", "empty", "k000", "k000"}
	want := map[string]string{"empty": "", "k000": "v0"}
	for i := 0; i < 250; i += 2 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
		want[fmt.Sprintf("k%03d", i)] = fmt.Sprintf("v%d", i)
	}
	for _, batch := range []int{1, 7, 100, 1000} {
		cfg := DefaultPostgresConfig()
		cfg.BatchSize = batch
		checkMany(t, newPostgresOrigin(t, s.DSN, cfg), keys, want)
	}
	cfg := DefaultPostgresConfig()
	cfg.BatchQuery = ""
	checkMany(t, newPostgresOrigin(t, s.DSN, cfg), keys, want)
}

// testPostgresDeadline runs a 60 s pg_sleep under a 200 ms deadline: Load
// must return DeadlineExceeded at once, the server must cancel the query,
// and the origin must keep working.
func testPostgresDeadline(t *testing.T, s *pgtest.Server) {
	cfg := DefaultPostgresConfig()
	cfg.Query = "SELECT convert_to($1, 'UTF8') FROM pg_sleep(60)"
	cfg.BatchQuery = ""
	o := newPostgresOrigin(t, s.DSN, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := o.Load(ctx, "k")
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load err = %v, want DeadlineExceeded", err)
	}
	t.Logf("postgres: Load with a 200ms deadline on pg_sleep(60) returned after %v: %v", elapsed, err)
	if elapsed > 20*time.Second { // generous; the query alone would take 60 s
		t.Fatalf("Load took %v to honour a 200ms deadline", elapsed)
	}
	waitNoSleepers(t, s)
	checkCancel(t, o)
	waitNoSleepers(t, s)
	checkLoad(t, newPostgresOrigin(t, s.DSN, DefaultPostgresConfig()), "a", []byte("alpha"))
}

// waitNoSleepers polls pg_stat_activity until no pg_sleep query is running:
// cancelling the context must cancel the query on the server too.
func waitNoSleepers(t *testing.T, s *pgtest.Server) {
	t.Helper()
	db, err := sql.Open("pgx", s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`).Scan(&n)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pg_sleep still running on the server 20s after cancel (n=%d, err=%v)", n, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// TestPostgresDown stops the server under a working origin: Load must fail
// promptly (connection refused), not hang, and report how long it took.
func TestPostgresDown(t *testing.T) {
	s := startPostgres(t)
	o := newPostgresOrigin(t, s.DSN, DefaultPostgresConfig())
	checkLoad(t, o, "a", []byte("alpha")) // the pool now holds a connection
	s.Stop()
	for i, what := range []string{"first Load after stop (pooled connection dead)", "second Load after stop"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		_, err := o.Load(ctx, "a")
		elapsed := time.Since(start)
		cancel()
		if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Load %d with the server down: err = %v, want a connection error", i, err)
		}
		t.Logf("postgres down: %s failed after %v: %v", what, elapsed, err)
	}
	start := time.Now()
	o2, err := NewPostgres(s.DSN, DefaultPostgresConfig())
	if err == nil {
		_ = o2.Close()
		t.Fatal("NewPostgres against a stopped server succeeded")
	}
	t.Logf("postgres down: NewPostgres failed after %v: %v", time.Since(start), err)
}

// TestPostgresHungServer points NewPostgres at a server that accepts but
// never answers: ConnectTimeout must end the attempt.
func TestPostgresHungServer(t *testing.T) {
	cfg := DefaultPostgresConfig()
	start := time.Now()
	o, err := NewPostgres("postgres://postgres@"+blackHole(t)+"/postgres?sslmode=disable", cfg)
	elapsed := time.Since(start)
	if err == nil {
		_ = o.Close()
		t.Fatal("NewPostgres against a hung server succeeded")
	}
	t.Logf("postgres hung: NewPostgres (ConnectTimeout %v) failed after %v: %v", cfg.ConnectTimeout, elapsed, err)
	if elapsed > 20*time.Second {
		t.Fatalf("NewPostgres took %v against a hung server", elapsed)
	}
}
