// Package postgres opens an origin.SQLOrigin over PostgreSQL through pgx's
// database/sql driver. It is a package of its own so that programs using
// another origin do not link pgx.
package postgres

import (
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ringcache/ringcache/client/origin"
)

// New connects with dsn in any form pgx accepts (URL or key=value). When
// the DSN sets no connect_timeout, cfg.ConnectTimeout bounds each
// connection attempt, so a down server fails a Load promptly. It prepares
// cfg.Query (so the server must be up) and returns an SQLOrigin that closes
// the pool on Close. Start from origin.DefaultPostgresConfig.
func New(dsn string, cfg origin.SQLConfig) (*origin.SQLOrigin, error) {
	return origin.OpenOwned(cfg, origin.DialectPostgres, func(cfg origin.SQLConfig) (*sql.DB, error) {
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("origin: postgres: parse DSN: %w", err)
		}
		if pc.ConnectTimeout == 0 {
			pc.ConnectTimeout = cfg.ConnectTimeout
		}
		return stdlib.OpenDB(*pc), nil
	})
}
