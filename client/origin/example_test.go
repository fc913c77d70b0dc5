package origin_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ringcache/ringcache/client/origin"
	"github.com/ringcache/ringcache/client/origin/sqlite"
)

func Example_sqlite() {
	dir, _ := os.MkdirTemp("", "origin-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.db")

	// The application's own database (here created for the example).
	db, _ := sql.Open("sqlite", path)
	_, _ = db.Exec(`CREATE TABLE users (id TEXT PRIMARY KEY, profile BLOB)`)
	_, _ = db.Exec(`INSERT INTO users VALUES ('u1', 'Ada'), ('u2', 'Grace')`)
	_ = db.Close()

	cfg := origin.DefaultSQLiteConfig()
	cfg.Query = "SELECT profile FROM users WHERE id = ?"
	cfg.BatchQuery = "SELECT id, profile FROM users WHERE id IN ({keys})"
	o, err := sqlite.New(path, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer o.Close()

	ctx := context.Background()
	v, _ := o.Load(ctx, "u1")
	fmt.Println(string(v))
	_, err = o.Load(ctx, "u9")
	fmt.Println(errors.Is(err, origin.ErrNotFound))
	many, _ := o.LoadMany(ctx, []string{"u1", "u2", "u9"})
	fmt.Println(len(many), string(many["u2"]))
	// Output:
	// Ada
	// true
	// 2 Grace
}
