// Command sqlite shows the ringcache SDK reading through to an embedded
// SQLite database: the first Get of a key loads it from SQLite and writes it
// back to the cluster (which invalidates the L1 copies, this instance's
// included), the next is answered by the owner node and fills L1, the one
// after by L1; a second SDK instance is answered by the cluster, and an
// unknown key goes to SQLite, whose not-found answer is cached in L1 for
// NegativeTTL (ristretto applies new entries asynchronously, so a repeat
// right away may still reach SQLite).
//
//	make run                                   # a local 3-node cluster
//	go run ./examples/sqlite -seeds 127.0.0.1:7379
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/client/origin"
)

func main() {
	seeds := flag.String("seeds", "127.0.0.1:7379", "comma-separated addresses of cluster nodes")
	flag.Parse()
	if err := run(context.Background(), strings.Split(*seeds, ",")); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, seeds []string) error {
	dir, err := os.MkdirTemp("", "ringcache-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.db")
	if err := createDB(path); err != nil {
		return err
	}
	ocfg := origin.DefaultSQLiteConfig()
	ocfg.Query = "SELECT profile FROM users WHERE id = ?"
	users, err := origin.NewSQLite(path, ocfg)
	if err != nil {
		return err
	}
	defer users.Close()

	cfg := client.DefaultConfig()
	cfg.Seeds = seeds
	cfg.Loader = users
	a, err := client.New(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %v (is a cluster running? make run): %w", seeds, err)
	}
	defer a.Close()
	b, err := client.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()

	key := fmt.Sprintf("user:%d", os.Getpid()) // fresh on every run
	if err := insertUser(path, key, "Ada Lovelace"); err != nil {
		return err
	}
	for _, step := range []struct {
		what string
		c    *client.Client
		key  string
	}{
		{"first Get (SDK a)", a, key},
		{"second Get (SDK a)", a, key},
		{"third Get (SDK a)", a, key},
		{"first Get (SDK b)", b, key},
		{"unknown key (SDK a)", a, "user:nobody"},
		{"unknown key again", a, "user:nobody"},
	} {
		res, err := step.c.Get(ctx, step.key)
		switch {
		case errors.Is(err, client.ErrNotFound):
			fmt.Printf("%-22s %-14s not found (tier %v)\n", step.what, step.key, res.Tier)
		case err != nil:
			return err
		default:
			fmt.Printf("%-22s %-14s %q from tier %v\n", step.what, step.key, res.Value, res.Tier)
		}
	}
	st := a.Stats()
	fmt.Printf("SDK a stats: %+v\n", st)
	return nil
}

func createDB(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE users (id TEXT PRIMARY KEY, profile BLOB)`)
	return err
}

func insertUser(path, id, profile string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`INSERT INTO users VALUES (?, ?)`, id, profile)
	return err
}
