package origin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SQLConfig configures an SQLOrigin. The zero value is not valid: start from
// DefaultSQLiteConfig or DefaultPostgresConfig.
type SQLConfig struct {
	// Dialect is the placeholder syntax of Query and BatchQuery. NewSQLite
	// and NewPostgres accept their own dialect or zero; NewSQL requires it.
	Dialect Dialect
	// Query loads one key: a statement with exactly one bind parameter (the
	// key; a numbered or named one may appear more than once, as $1 … $1)
	// that returns one column, the value. No row, or a NULL value, is
	// ErrNotFound; an empty value is a value. Only the first row is read.
	// Default "SELECT v FROM kv WHERE k = ?" (SQLite) or "… k = $1"
	// (PostgreSQL).
	Query string
	// BatchQuery loads many keys: a statement containing the marker {keys}
	// exactly once and no bind parameter of its own; {keys} is replaced by
	// one placeholder per key ("?, ?" or "$1, $2"). It returns two columns,
	// key and value. Default "SELECT k, v FROM kv WHERE k IN ({keys})". ""
	// makes LoadMany call Load once per key.
	BatchQuery string
	// BatchSize is the most keys bound in one BatchQuery; larger batches are
	// split. Default 100; 1 to 10000.
	BatchSize int
	// MaxOpenConns and MaxIdleConns bound the connection pool (see
	// sql.DB.SetMaxOpenConns). Defaults: SQLite 4 and 4, PostgreSQL 10 and
	// 10; MaxOpenConns 0 means unlimited. Not applied by NewSQL.
	MaxOpenConns, MaxIdleConns int
	// ConnMaxLifetime closes connections older than this; 0 never. Default
	// 30 min. Not applied by NewSQL.
	ConnMaxLifetime time.Duration
	// LoadTimeout bounds each Load and LoadMany call whose context has no
	// earlier deadline, so a hung database cannot hold a caller forever
	// (database/sql has no read timeout). Default 5 s; 0 means none.
	LoadTimeout time.Duration
	// ConnectTimeout bounds the checks made by the constructor (ping and
	// statement preparation) and, for PostgreSQL, each connection attempt
	// unless the DSN sets connect_timeout. Default 2 s; > 0.
	ConnectTimeout time.Duration
	// SQLitePragmas are run on every new SQLite connection, as
	// "name(value)". Default busy_timeout(5000), journal_mode(WAL),
	// synchronous(NORMAL). Used only by NewSQLite.
	SQLitePragmas []string
}

const defaultBatchQuery = "SELECT k, v FROM kv WHERE k IN (" + keysMarker + ")"

// DefaultSQLiteConfig returns the SQLite defaults documented on SQLConfig.
func DefaultSQLiteConfig() SQLConfig {
	return SQLConfig{
		Dialect:         DialectSQLite,
		Query:           "SELECT v FROM kv WHERE k = ?",
		BatchQuery:      defaultBatchQuery,
		BatchSize:       100,
		MaxOpenConns:    4,
		MaxIdleConns:    4,
		ConnMaxLifetime: 30 * time.Minute,
		LoadTimeout:     5 * time.Second,
		ConnectTimeout:  2 * time.Second,
		SQLitePragmas:   []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)"},
	}
}

// DefaultPostgresConfig returns the PostgreSQL defaults documented on
// SQLConfig.
func DefaultPostgresConfig() SQLConfig {
	c := DefaultSQLiteConfig()
	c.Dialect = DialectPostgres
	c.Query = "SELECT v FROM kv WHERE k = $1"
	c.MaxOpenConns, c.MaxIdleConns = 10, 10
	c.SQLitePragmas = nil
	return c
}

const maxBatchSize = 10000

func (c SQLConfig) validate() error {
	if c.Dialect != DialectSQLite && c.Dialect != DialectPostgres {
		return fmt.Errorf("origin: sql config: unknown dialect %v", c.Dialect)
	}
	if err := checkQuery(c.Query, c.Dialect); err != nil {
		return err
	}
	if c.BatchQuery != "" {
		if err := checkBatchQuery(c.BatchQuery, c.Dialect); err != nil {
			return err
		}
	}
	switch {
	case c.BatchSize < 1 || c.BatchSize > maxBatchSize:
		return fmt.Errorf("origin: sql config: BatchSize %d not in [1, %d]", c.BatchSize, maxBatchSize)
	case c.MaxOpenConns < 0 || c.MaxIdleConns < 0 || c.ConnMaxLifetime < 0 || c.LoadTimeout < 0:
		return errors.New("origin: sql config: MaxOpenConns, MaxIdleConns, ConnMaxLifetime and LoadTimeout must be ≥ 0")
	case c.ConnectTimeout <= 0:
		return errors.New("origin: sql config: ConnectTimeout must be > 0")
	}
	return nil
}

func checkQuery(q string, d Dialect) error {
	params, err := scanParams(q, d)
	if err != nil {
		return fmt.Errorf("origin: sql config: Query: %w", err)
	}
	if n := distinctParams(params); n != 1 {
		return fmt.Errorf("origin: sql config: Query has %d bind parameters, want exactly 1 (the key)", n)
	}
	if d == DialectPostgres && params[0] != "$1" {
		return fmt.Errorf("origin: sql config: Query parameter is %s, want $1", params[0])
	}
	return nil
}

// distinctParams counts the distinct parameters: a bare "?" is a new one
// each time, a numbered or named one ($1, ?1, :k) may be repeated.
func distinctParams(params []string) int {
	seen := map[string]bool{}
	n := 0
	for _, p := range params {
		if p == "?" || !seen[p] {
			n++
		}
		seen[p] = true
	}
	return n
}

func checkBatchQuery(q string, d Dialect) error {
	if strings.Count(q, keysMarker) != 1 {
		return fmt.Errorf("origin: sql config: BatchQuery must contain %s exactly once", keysMarker)
	}
	params, err := scanParams(renderBatch(q, d, 2), d)
	if err != nil {
		return fmt.Errorf("origin: sql config: BatchQuery: %w", err)
	}
	if len(params) != 2 {
		return fmt.Errorf("origin: sql config: BatchQuery must have no bind parameter of its own and %s outside literals and comments", keysMarker)
	}
	return nil
}

func renderBatch(q string, d Dialect, n int) string {
	return strings.Replace(q, keysMarker, placeholders(d, n), 1)
}

// SQLOrigin loads values from a SQL database through database/sql with a
// prepared statement. It is safe for concurrent use.
type SQLOrigin struct {
	db      *sql.DB
	ownsDB  bool
	name    string // dialect name, for errors
	cfg     SQLConfig
	load    *sql.Stmt
	mu      sync.Mutex        // guards batches
	batches map[int]*sql.Stmt // batch statements by placeholder count
	closed  atomic.Bool
}

var (
	_ Loader      = (*SQLOrigin)(nil)
	_ BatchLoader = (*SQLOrigin)(nil)
)

// NewSQL returns an SQLOrigin over db, which the caller opened and owns
// (Close leaves it open; cfg's pool settings are not applied). It prepares
// cfg.Query, so a missing table or a syntax error is reported here.
func NewSQL(db *sql.DB, cfg SQLConfig) (*SQLOrigin, error) {
	if db == nil {
		return nil, errors.New("origin: sql: nil *sql.DB")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return newSQL(db, cfg)
}

func newSQL(db *sql.DB, cfg SQLConfig) (*SQLOrigin, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ConnectTimeout)
	defer cancel()
	o := &SQLOrigin{db: db, name: cfg.Dialect.String(), cfg: cfg, batches: map[int]*sql.Stmt{}}
	stmt, err := db.PrepareContext(ctx, cfg.Query)
	if err != nil {
		return nil, wrapCtx(ctx, o.name+" prepare Query", err)
	}
	o.load = stmt
	return o, nil
}

// Load returns the value of key, or ErrNotFound.
func (o *SQLOrigin) Load(ctx context.Context, key string) ([]byte, error) {
	if o.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	var v sql.Null[[]byte]
	err := o.load.QueryRowContext(ctx, key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNotFound
	case err != nil:
		return nil, o.err(ctx, "load", err)
	case !v.Valid:
		return nil, ErrNotFound
	}
	return nonNil(v.V), nil
}

// bound applies LoadTimeout to ctx unless ctx ends sooner.
func (o *SQLOrigin) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.cfg.LoadTimeout <= 0 {
		return ctx, func() {}
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= o.cfg.LoadTimeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, o.cfg.LoadTimeout)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (o *SQLOrigin) err(ctx context.Context, op string, err error) error {
	if o.closed.Load() { // the call raced with Close
		return ErrClosed
	}
	return wrapCtx(ctx, o.name+" "+op, err)
}

// Close makes later calls return ErrClosed, closes the prepared statements
// and, when NewSQLite or NewPostgres opened the database, the database. It is
// safe to call more than once.
func (o *SQLOrigin) Close() error {
	if o.closed.Swap(true) {
		return nil
	}
	errs := []error{o.load.Close()}
	o.mu.Lock()
	for _, s := range o.batches {
		errs = append(errs, s.Close())
	}
	o.batches = nil
	o.mu.Unlock()
	if o.ownsDB {
		errs = append(errs, o.db.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("origin: %s close: %w", o.name, err)
	}
	return nil
}
