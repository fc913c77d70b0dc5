package origin

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The database/sql drivers live in sub-packages, so that a program links
// only the one it uses: origin/sqlite (modernc.org/sqlite) and
// origin/postgres (pgx). They open the database with OpenOwned.

// OpenOwned validates cfg for dialect d (a zero cfg.Dialect becomes d),
// opens the database with open, applies cfg's pool settings, prepares
// cfg.Query and returns an SQLOrigin that closes the database on Close (and
// closes it at once if anything fails). It is for driver packages.
func OpenOwned(cfg SQLConfig, d Dialect, open func(SQLConfig) (*sql.DB, error)) (*SQLOrigin, error) {
	cfg, err := withDialect(cfg, d)
	if err != nil {
		return nil, err
	}
	db, err := open(cfg)
	if err != nil {
		return nil, err
	}
	return ownDB(db, cfg)
}

// SQLiteDSN returns modernc.org/sqlite's DSN for the database file at path
// with cfg.SQLitePragmas run on each connection. path must not contain '?'
// (DSN parameters are set through cfg), nor a pragma ';'.
func SQLiteDSN(path string, cfg SQLConfig) (string, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return "", fmt.Errorf("origin: sqlite: invalid path %q (empty or contains '?')", path)
	}
	for _, p := range cfg.SQLitePragmas {
		if strings.ContainsRune(p, ';') {
			return "", fmt.Errorf("origin: sqlite: pragma %q: one pragma per entry, no ';'", p)
		}
	}
	dsn := path
	if len(cfg.SQLitePragmas) > 0 {
		dsn += "?" + url.Values{"_pragma": cfg.SQLitePragmas}.Encode()
	}
	return dsn, nil
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
