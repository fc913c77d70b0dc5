package origin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sqliteFile creates a database in t.TempDir() with table kv(k, v) holding
// rows, and returns its path. A nil value is stored as NULL.
func sqliteFile(t testing.TB, rows map[string][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "origin.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin() // one commit: one fsync, not one per row
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rows {
		if _, err := tx.Exec("INSERT INTO kv (k, v) VALUES (?, ?)", k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

func newSQLiteOrigin(t *testing.T, path string, cfg SQLConfig) *SQLOrigin {
	t.Helper()
	o, err := NewSQLite(path, cfg)
	if err != nil {
		t.Fatalf("NewSQLite: %v", err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func TestSQLiteLoad(t *testing.T) {
	path := sqliteFile(t, map[string][]byte{"a": []byte("alpha"), "empty": {}, "null": nil, "bin": {0, 255, '\n'}})
	o := newSQLiteOrigin(t, path, DefaultSQLiteConfig())
	checkLoad(t, o, "a", []byte("alpha"))
	checkLoad(t, o, "empty", []byte{})
	checkLoad(t, o, "bin", []byte{0, 255, '\n'})
	checkLoad(t, o, "null", nil)
	checkLoad(t, o, "missing", nil)
	checkLoad(t, o, "a' OR '1'='1", nil) // the key is bound, never spliced
}

func TestSQLitePragmas(t *testing.T) {
	path := sqliteFile(t, nil)
	cfg := DefaultSQLiteConfig()
	cfg.Query = "SELECT CAST(timeout AS TEXT) || ' ' || (SELECT journal_mode FROM pragma_journal_mode) || ' ' || (SELECT synchronous FROM pragma_synchronous) FROM pragma_busy_timeout WHERE ? IS NOT NULL"
	cfg.BatchQuery = ""
	o := newSQLiteOrigin(t, path, cfg)
	checkLoad(t, o, "any", []byte("5000 wal 1"))
}

func TestSQLiteLoadMany(t *testing.T) {
	rows := map[string][]byte{"null": nil, "empty": {}}
	for i := range 250 {
		rows[fmt.Sprintf("k%03d", i)] = []byte(fmt.Sprintf("v%d", i))
	}
	path := sqliteFile(t, rows)
	keys := []string{"missing", "null", "empty", "k000", "k000"} // duplicates are fine
	want := map[string]string{"empty": "", "k000": "v0"}
	for i := 0; i < 250; i += 2 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
		want[fmt.Sprintf("k%03d", i)] = fmt.Sprintf("v%d", i)
	}
	for _, batch := range []int{1, 7, 100, 1000} {
		cfg := DefaultSQLiteConfig()
		cfg.BatchSize = batch
		checkMany(t, newSQLiteOrigin(t, path, cfg), keys, want)
	}
	cfg := DefaultSQLiteConfig()
	cfg.BatchQuery = "" // one Load per key
	o := newSQLiteOrigin(t, path, cfg)
	checkMany(t, o, keys, want)
	checkMany(t, o, nil, map[string]string{})
}

// slowSQLiteQuery counts to a trillion: it runs until interrupted.
const slowSQLiteQuery = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000000)
SELECT CAST(count(*) AS TEXT) FROM c WHERE ? IS NOT NULL`

func TestSQLiteContextDeadline(t *testing.T) {
	cfg := DefaultSQLiteConfig()
	cfg.Query = slowSQLiteQuery
	o := newSQLiteOrigin(t, sqliteFile(t, nil), cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := o.Load(ctx, "k")
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load err = %v, want context.DeadlineExceeded", err)
	}
	t.Logf("sqlite: Load with a 100ms deadline on a never-ending query returned after %v: %v", elapsed, err)
	if elapsed > 10*time.Second { // generous: the query alone would run for hours
		t.Fatalf("Load took %v to honour a 100ms deadline", elapsed)
	}
	checkCancel(t, o)
}

// TestSQLiteLoadTimeout: with no deadline on the context, LoadTimeout ends
// a query that would never finish.
func TestSQLiteLoadTimeout(t *testing.T) {
	cfg := DefaultSQLiteConfig()
	cfg.Query = slowSQLiteQuery
	cfg.LoadTimeout = 150 * time.Millisecond
	o := newSQLiteOrigin(t, sqliteFile(t, nil), cfg)
	start := time.Now()
	_, err := o.Load(context.Background(), "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load err = %v, want DeadlineExceeded from LoadTimeout", err)
	}
	t.Logf("sqlite: Load with LoadTimeout 150ms and no ctx deadline returned after %v", time.Since(start))
}

// checkCancel cancels a Load in flight and expects context.Canceled.
func checkCancel(t *testing.T, o *SQLOrigin) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := o.Load(ctx, "k"); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Load err = %v, want context.Canceled", err)
	}
}

func TestSQLiteConcurrent(t *testing.T) {
	rows := map[string][]byte{}
	for i := range 50 {
		rows[fmt.Sprint(i)] = []byte(strings.Repeat("x", i))
	}
	o := newSQLiteOrigin(t, sqliteFile(t, rows), DefaultSQLiteConfig())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				k := (g*31 + i) % 60
				v, err := o.Load(context.Background(), fmt.Sprint(k))
				if (k < 50 && (err != nil || len(v) != k)) || (k >= 50 && !errors.Is(err, ErrNotFound)) {
					errs <- fmt.Errorf("Load(%d) = %d bytes, %v", k, len(v), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSQLiteClose(t *testing.T) {
	o, err := NewSQLite(sqliteFile(t, map[string][]byte{"a": []byte("1")}), DefaultSQLiteConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.LoadMany(context.Background(), []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := o.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := o.Load(context.Background(), "a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close err = %v, want ErrClosed", err)
	}
	if _, err := o.LoadMany(context.Background(), []string{"a"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("LoadMany after Close err = %v, want ErrClosed", err)
	}
}

func TestSQLiteConstructorErrors(t *testing.T) {
	path := sqliteFile(t, nil)
	noTable := DefaultSQLiteConfig()
	noTable.Query = "SELECT v FROM nosuch WHERE k = ?"
	twoParams := DefaultSQLiteConfig()
	twoParams.Query = "SELECT v FROM kv WHERE k = ? OR k = ?"
	badPragma := DefaultSQLiteConfig()
	badPragma.SQLitePragmas = []string{"busy_timeout(1); DROP TABLE kv"}
	cases := map[string]struct {
		path string
		cfg  SQLConfig
	}{
		"empty path":       {"", DefaultSQLiteConfig()},
		"path with ?":      {path + "?mode=ro", DefaultSQLiteConfig()},
		"missing table":    {path, noTable},
		"two params":       {path, twoParams},
		"postgres config":  {path, DefaultPostgresConfig()},
		"multi-statement":  {path, badPragma},
		"zero config":      {path, SQLConfig{}},
		"unwritable place": {filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), DefaultSQLiteConfig()},
	}
	for name, c := range cases {
		if o, err := NewSQLite(c.path, c.cfg); err == nil {
			_ = o.Close()
			t.Errorf("%s: NewSQLite succeeded", name)
		}
	}
}

func TestNewSQLCallerOwnsDB(t *testing.T) {
	db, err := sql.Open("sqlite", sqliteFile(t, map[string][]byte{"a": []byte("1")}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := NewSQL(nil, DefaultSQLiteConfig()); err == nil {
		t.Fatal("NewSQL(nil) succeeded")
	}
	o, err := NewSQL(db, DefaultSQLiteConfig())
	if err != nil {
		t.Fatal(err)
	}
	checkLoad(t, o, "a", []byte("1"))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("Close closed the caller's db: %v", err)
	}
}

// TestSQLiteCloseWhileLoading: calls racing with Close get a value or
// ErrClosed, nothing else, and every goroutine finishes.
func TestSQLiteCloseWhileLoading(t *testing.T) {
	o, err := NewSQLite(sqliteFile(t, map[string][]byte{"a": []byte("1")}), DefaultSQLiteConfig())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	started := make(chan struct{}, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if i == 0 {
					started <- struct{}{} // buffered: never blocks
				}
				var err error
				if g%2 == 0 {
					_, err = o.Load(context.Background(), "a")
				} else {
					_, err = o.LoadMany(context.Background(), []string{"a", "b", fmt.Sprint(i)})
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 4 {
		<-started
	}
	if err := o.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call racing with Close: %v", err)
	}
}
