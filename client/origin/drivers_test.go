package origin

import (
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// NewSQLite and NewPostgres are the driver sub-packages' constructors
// (origin/sqlite, origin/postgres), which this package's tests cannot
// import (they import origin).

func NewSQLite(path string, cfg SQLConfig) (*SQLOrigin, error) {
	return OpenOwned(cfg, DialectSQLite, func(cfg SQLConfig) (*sql.DB, error) {
		dsn, err := SQLiteDSN(path, cfg)
		if err != nil {
			return nil, err
		}
		return sql.Open("sqlite", dsn)
	})
}

func NewPostgres(dsn string, cfg SQLConfig) (*SQLOrigin, error) {
	return OpenOwned(cfg, DialectPostgres, func(cfg SQLConfig) (*sql.DB, error) {
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		if pc.ConnectTimeout == 0 {
			pc.ConnectTimeout = cfg.ConnectTimeout
		}
		return stdlib.OpenDB(*pc), nil
	})
}
