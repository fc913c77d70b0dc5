// Command sqlite shows the ringcache SDK reading through to an embedded
// SQLite database. The first Get of a key loads it from SQLite and writes it
// back to the cluster; the next Gets are answered by the owner node, which
// also fills this instance's L1, until L1 answers. How many remote reads
// that takes varies from run to run: L1 (ristretto) applies fills
// asynchronously, and a fill that races the invalidation caused by the
// write-back is discarded, never served; the example reads until L1
// answers and says how many remote reads it took. A second SDK instance is
// answered by the cluster, and an unknown key goes to SQLite, whose
// not-found answer is remembered in the cluster (and then in L1) for
// NegativeTTL: the second read is answered by the cluster's marker.
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
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/client/origin"
	"github.com/ringcache/ringcache/client/origin/sqlite"
)

func main() {
	seeds := flag.String("seeds", "127.0.0.1:7379", "comma-separated addresses of cluster nodes")
	flag.Parse()
	if err := run(context.Background(), strings.Split(*seeds, ","), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, seeds []string, w io.Writer) error {
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
	users, err := sqlite.New(path, ocfg)
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

	key := fmt.Sprintf("user:%x", time.Now().UnixNano()) // fresh on every run
	if err := insertUser(path, key, "Ada Lovelace"); err != nil {
		return err
	}
	return demo(ctx, w, a, b, key)
}

// demo runs the reads the example shows and prints where each answer came
// from.
func demo(ctx context.Context, w io.Writer, a, b *client.Client, key string) error {
	show := func(what, key string, res client.Result, err error) error {
		switch {
		case errors.Is(err, client.ErrNotFound):
			fmt.Fprintf(w, "%-24s %-20s not found (tier %v)\n", what, key, res.Tier)
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "%-24s %-20s %q from tier %v\n", what, key, res.Value, res.Tier)
		}
		return nil
	}
	res, err := a.Get(ctx, key)
	if err := show("first Get (SDK a)", key, res, err); err != nil {
		return err
	}
	res, remote, err := getUntilL1(ctx, a, key)
	if err := show("Get until L1 (SDK a)", key, res, err); err != nil {
		return err
	}
	fmt.Fprintf(w, "%-24s %d remote read(s) before L1 answered\n", "", remote)
	res, err = b.Get(ctx, key)
	if err := show("first Get (SDK b)", key, res, err); err != nil {
		return err
	}
	unknown := key + ":nobody"
	for _, what := range []string{"unknown key (SDK a)", "unknown key again"} {
		res, err := a.Get(ctx, unknown)
		if err := show(what, unknown, res, err); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "SDK a stats: %+v\n", a.Stats())
	return nil
}

// getUntilL1 reads key until L1 answers (at most 100 reads, 10 ms apart),
// and returns the last result and how many reads the cluster answered.
func getUntilL1(ctx context.Context, c *client.Client, key string) (client.Result, int, error) {
	remote := 0
	for range 100 {
		res, err := c.Get(ctx, key)
		if err != nil || res.Tier == client.TierL1 {
			return res, remote, err
		}
		remote++
		time.Sleep(10 * time.Millisecond) // pacing a demo, not synchronisation
	}
	return client.Result{}, remote, fmt.Errorf("L1 never answered for %s after %d reads", key, remote)
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
