package origin

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// NewSQLite opens the SQLite database file at path (created if absent) with
// modernc.org/sqlite, runs cfg.SQLitePragmas on each connection, prepares
// cfg.Query and returns an SQLOrigin that closes the database on Close. path
// must not contain '?' (DSN parameters are set through cfg).
func NewSQLite(path string, cfg SQLConfig) (*SQLOrigin, error) {
	cfg, err := withDialect(cfg, DialectSQLite)
	if err != nil {
		return nil, err
	}
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("origin: sqlite: invalid path %q (empty or contains '?')", path)
	}
	for _, p := range cfg.SQLitePragmas {
		if strings.ContainsRune(p, ';') {
			return nil, fmt.Errorf("origin: sqlite: pragma %q: one pragma per entry, no ';'", p)
		}
	}
	dsn := path
	if len(cfg.SQLitePragmas) > 0 {
		dsn += "?" + url.Values{"_pragma": cfg.SQLitePragmas}.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("origin: sqlite open: %w", err)
	}
	return ownDB(db, cfg)
}

// NewPostgres connects to PostgreSQL through pgx's database/sql driver, with
// dsn in any form pgx accepts (URL or key=value). When the DSN sets no
// connect_timeout, cfg.ConnectTimeout bounds each connection attempt, so a
// down server fails a Load promptly. It prepares cfg.Query (so the server
// must be up) and returns an SQLOrigin that closes the pool on Close.
func NewPostgres(dsn string, cfg SQLConfig) (*SQLOrigin, error) {
	cfg, err := withDialect(cfg, DialectPostgres)
	if err != nil {
		return nil, err
	}
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("origin: postgres: parse DSN: %w", err)
	}
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = cfg.ConnectTimeout
	}
	return ownDB(stdlib.OpenDB(*pc), cfg)
}

// withDialect fills a zero Dialect with want and validates cfg.
func withDialect(cfg SQLConfig, want Dialect) (SQLConfig, error) {
	if cfg.Dialect == 0 {
		cfg.Dialect = want
	}
	if cfg.Dialect != want {
		return cfg, fmt.Errorf("origin: %v origin given a %v config", want, cfg.Dialect)
	}
	cfg.SQLitePragmas = append([]string(nil), cfg.SQLitePragmas...)
	return cfg, cfg.validate()
}

// ownDB applies the pool settings, builds the origin and hands it db, which
// is closed if anything fails.
func ownDB(db *sql.DB, cfg SQLConfig) (*SQLOrigin, error) {
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxIdleConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	o, err := newSQL(db, cfg)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	o.ownsDB = true
	return o, nil
}
