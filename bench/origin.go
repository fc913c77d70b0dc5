package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/client/origin"
	"github.com/ringcache/ringcache/client/origin/postgres"
	"github.com/ringcache/ringcache/client/origin/sqlite"
)

// OriginConfig selects the system of record behind the sdk target and how it
// is filled. The zero value is an embedded SQLite database in a temporary
// directory, preloaded with the workload's records.
type OriginConfig struct {
	// Kind is "sqlite" (default), "redis" or "postgres".
	Kind string
	// Addr is the redis origin's address; empty starts a redis-server
	// (RedisBin, default "redis-server") in Dir for the run.
	Addr     string
	RedisBin string
	// DSN is the PostgreSQL DSN (required for postgres). Table kv(k text
	// primary key, v bytea) is created if absent.
	DSN string
	// Dir holds the SQLite file and a started redis-server's files
	// (default: a temporary directory removed by Close).
	Dir string
	// Latency is added before every origin query (0: none), to model a
	// database across a network.
	Latency time.Duration
	// NoPreload skips writing the records (they are already there).
	NoPreload bool
}

// Validate reports the first problem with the configuration.
func (c OriginConfig) Validate() error {
	switch {
	case c.Kind != "" && c.Kind != "sqlite" && c.Kind != "redis" && c.Kind != "postgres":
		return fmt.Errorf("bench: origin %q (want sqlite, redis or postgres)", c.Kind)
	case c.Kind == "postgres" && c.DSN == "":
		return errors.New("bench: the postgres origin needs a DSN")
	case c.Latency < 0:
		return errors.New("bench: negative origin latency")
	}
	return nil
}

// Origin is a client.Loader over the configured system of record that
// counts its queries and adds the configured latency. It is safe for
// concurrent use.
type Origin struct {
	kind    string
	loader  client.Loader
	latency time.Duration
	queries atomic.Int64
	closers []func() error
}

var _ client.Loader = (*Origin)(nil)

// OpenOrigin opens (and, unless cfg.NoPreload, fills with w's records) the
// origin described by cfg.
func OpenOrigin(ctx context.Context, cfg OriginConfig, w *Workload) (*Origin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Kind == "" {
		cfg.Kind = "sqlite"
	}
	o := &Origin{kind: cfg.Kind, latency: cfg.Latency}
	if cfg.Dir == "" && cfg.Kind != "postgres" {
		dir, err := os.MkdirTemp("", "cachebench-origin-")
		if err != nil {
			return nil, err
		}
		cfg.Dir = dir
		o.closers = append(o.closers, func() error { return os.RemoveAll(dir) })
	}
	var err error
	switch cfg.Kind {
	case "sqlite":
		err = o.openSQLite(ctx, cfg, w)
	case "redis":
		err = o.openRedis(ctx, cfg, w)
	default:
		err = o.openPostgres(ctx, cfg, w)
	}
	if err != nil {
		return nil, errors.Join(err, o.Close())
	}
	return o, nil
}

// Kind names the origin ("sqlite", "redis", "postgres").
func (o *Origin) Kind() string { return o.kind }

// Queries returns the number of Load calls so far.
func (o *Origin) Queries() int64 { return o.queries.Load() }

// Load implements client.Loader: it waits the configured latency, then
// queries the origin.
func (o *Origin) Load(ctx context.Context, key string) ([]byte, error) {
	o.queries.Add(1)
	if o.latency > 0 {
		t := time.NewTimer(o.latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	return o.loader.Load(ctx, key)
}

// Close closes the origin and removes what OpenOrigin created, last
// opened first. Safe to call more than once.
func (o *Origin) Close() error {
	var errs []error
	for i := len(o.closers) - 1; i >= 0; i-- {
		errs = append(errs, o.closers[i]())
	}
	o.closers = nil
	return errors.Join(errs...)
}

func (o *Origin) openSQLite(ctx context.Context, cfg OriginConfig, w *Workload) error {
	path := filepath.Join(cfg.Dir, "origin.db")
	if !cfg.NoPreload {
		if err := fillSQL(ctx, "sqlite", path, sqliteSchema, w, "?"); err != nil {
			return err
		}
	}
	l, err := sqlite.New(path, origin.DefaultSQLiteConfig())
	if err != nil {
		return err
	}
	o.loader, o.closers = l, append(o.closers, l.Close)
	return nil
}

func (o *Origin) openPostgres(ctx context.Context, cfg OriginConfig, w *Workload) error {
	if !cfg.NoPreload {
		if err := fillSQL(ctx, "pgx", cfg.DSN, postgresSchema, w, "$"); err != nil {
			return err
		}
	}
	l, err := postgres.New(cfg.DSN, origin.DefaultPostgresConfig())
	if err != nil {
		return err
	}
	o.loader, o.closers = l, append(o.closers, l.Close)
	return nil
}

func (o *Origin) openRedis(ctx context.Context, cfg OriginConfig, w *Workload) error {
	addr := cfg.Addr
	if addr == "" {
		bin := cfg.RedisBin
		if bin == "" {
			bin = "redis-server"
		}
		p, err := StartRedis(ctx, bin, cfg.Dir)
		if err != nil {
			return err
		}
		o.closers = append(o.closers, func() error { p.Stop(5 * time.Second); return nil })
		addr = p.Addr
	}
	if !cfg.NoPreload {
		if err := fillRedis(ctx, addr, w); err != nil {
			return err
		}
	}
	rc := origin.DefaultRedisConfig()
	rc.Addrs = []string{addr}
	l, err := origin.NewRedis(rc)
	if err != nil {
		return err
	}
	o.loader, o.closers = l, append(o.closers, l.Close)
	return nil
}

const (
	sqliteSchema   = "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB)"
	postgresSchema = "CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v bytea)"
	fillBatch      = 500
)

// fillSQL writes w's records into table kv in one transaction, fillBatch
// rows per INSERT; mark is the placeholder style ("?" or "$" for $1, $2…).
func fillSQL(ctx context.Context, driver, dsn, schema string, w *Workload, mark string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("bench: open origin: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("bench: create origin table: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	g, n := w.Generator(1_000_000), w.Config().Records
	for i := int64(0); i < n; i += fillBatch {
		to := min(i+fillBatch, n)
		args := make([]any, 0, 2*(to-i))
		for j := i; j < to; j++ {
			args = append(args, KeyName(j), append([]byte(nil), g.LoadValue()...))
		}
		if _, err := tx.ExecContext(ctx, upsertSQL(int(to-i), mark), args...); err != nil {
			return errors.Join(fmt.Errorf("bench: fill origin rows %d..%d: %w", i, to, err), tx.Rollback())
		}
	}
	return tx.Commit()
}

// upsertSQL is an INSERT of n (k, v) rows that overwrites existing keys.
func upsertSQL(n int, mark string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO kv (k, v) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if mark == "$" {
			fmt.Fprintf(&b, "($%d, $%d)", 2*i+1, 2*i+2)
		} else {
			b.WriteString("(?, ?)")
		}
	}
	b.WriteString(" ON CONFLICT (k) DO UPDATE SET v = excluded.v")
	return b.String()
}

// fillRedis writes w's records to the redis origin with pipelined SETs.
func fillRedis(ctx context.Context, addr string, w *Workload) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, Protocol: 2})
	defer c.Close()
	g, n := w.Generator(1_000_000), w.Config().Records
	for i := int64(0); i < n; i += loadBatch {
		p := c.Pipeline()
		for j := i; j < min(i+loadBatch, n); j++ {
			p.Set(ctx, KeyName(j), g.LoadValue(), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("bench: fill redis origin: %w", err)
		}
	}
	return nil
}
