package pgtest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStart(t *testing.T) {
	s := Start(t)
	s.Exec(t, "CREATE TABLE kv (k text PRIMARY KEY, v bytea)", "INSERT INTO kv VALUES ('a', 'x')")
	db, err := sql.Open("pgx", s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = $1", "a").Scan(&v); err != nil || v != "x" {
		t.Fatalf("query: %q %v", v, err)
	}
	var user string
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil || user != "postgres" {
		t.Fatalf("current_user: %q %v", user, err)
	}
	db.Close()
	s.Stop()
	s.Stop() // idempotent
	db2, _ := sql.Open("pgx", s.DSN+"&connect_timeout=2")
	defer db2.Close()
	if err := db2.PingContext(ctx); err == nil {
		t.Fatal("ping after Stop succeeded")
	}
}
