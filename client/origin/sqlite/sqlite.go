// Package sqlite opens an origin.SQLOrigin over a SQLite database file with
// modernc.org/sqlite (pure Go). It is a package of its own so that programs
// using another origin do not link the driver.
package sqlite

import (
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ringcache/ringcache/client/origin"
)

// New opens the SQLite database file at path (created if absent), runs
// cfg.SQLitePragmas on each connection, prepares cfg.Query and returns an
// SQLOrigin that closes the database on Close. path must not contain '?'
// (DSN parameters are set through cfg). Start from
// origin.DefaultSQLiteConfig.
func New(path string, cfg origin.SQLConfig) (*origin.SQLOrigin, error) {
	return origin.OpenOwned(cfg, origin.DialectSQLite, func(cfg origin.SQLConfig) (*sql.DB, error) {
		dsn, err := origin.SQLiteDSN(path, cfg)
		if err != nil {
			return nil, err
		}
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("origin: sqlite open: %w", err)
		}
		return db, nil
	})
}
