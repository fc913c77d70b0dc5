package origin

import (
	"reflect"
	"strings"
	"testing"
)

func TestScanParams(t *testing.T) {
	cases := []struct {
		d    Dialect
		q    string
		want []string
	}{
		{DialectSQLite, "SELECT v FROM kv WHERE k = ?", []string{"?"}},
		{DialectSQLite, "SELECT v FROM kv WHERE k = ?1 AND x = :name AND y = @a AND z = $b", []string{"?1", ":name", "@a", "$b"}},
		{DialectSQLite, "SELECT '?' , \"?\", `?`, [?] FROM t -- ?\n WHERE k = ? /* ? */", []string{"?"}},
		{DialectSQLite, "SELECT 'it''s ?' WHERE k = ?", []string{"?"}},
		{DialectSQLite, "SELECT a$b FROM t WHERE k=?", []string{"?"}},
		{DialectPostgres, "SELECT v FROM kv WHERE k = $1", []string{"$1"}},
		{DialectPostgres, "SELECT '$1', \"$1\", $$ $1 $$, $tag$ $2 $tag$ FROM t WHERE k = $1", []string{"$1"}},
		{DialectPostgres, "SELECT E'\\' $2' WHERE k = $1::text", []string{"$1"}},
		{DialectPostgres, "SELECT x$1 FROM t /* a /* nested $2 */ $3 */ WHERE k = $1 -- $4", []string{"$1"}},
		{DialectPostgres, "SELECT v FROM kv WHERE k = ? AND j ? 'a'", nil},
	}
	for _, c := range cases {
		got, err := scanParams(c.q, c.d)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("scanParams(%v, %q) = %q, %v; want %q", c.d, c.q, got, err, c.want)
		}
	}
	for _, q := range []string{"SELECT 'a", "SELECT \"a", "SELECT /* a", "SELECT $x$ a"} {
		if _, err := scanParams(q, DialectPostgres); err == nil {
			t.Errorf("scanParams(%q) accepted an unterminated token", q)
		}
	}
}

func TestSQLConfigValidate(t *testing.T) {
	for _, cfg := range []SQLConfig{DefaultSQLiteConfig(), DefaultPostgresConfig()} {
		if err := cfg.validate(); err != nil {
			t.Fatalf("default %v config invalid: %v", cfg.Dialect, err)
		}
	}
	bad := map[string]func(*SQLConfig){
		"no dialect":          func(c *SQLConfig) { c.Dialect = 0 },
		"no placeholder":      func(c *SQLConfig) { c.Query = "SELECT v FROM kv WHERE k = 'a'" },
		"two placeholders":    func(c *SQLConfig) { c.Query = "SELECT v FROM kv WHERE k = ? OR k = ?" },
		"quoted placeholder":  func(c *SQLConfig) { c.Query = "SELECT v FROM kv WHERE k = '?'" },
		"unterminated":        func(c *SQLConfig) { c.Query = "SELECT v FROM kv WHERE k = ? AND '" },
		"batch no marker":     func(c *SQLConfig) { c.BatchQuery = "SELECT k, v FROM kv" },
		"batch two markers":   func(c *SQLConfig) { c.BatchQuery = "SELECT k, v FROM kv WHERE k IN ({keys}) OR k IN ({keys})" },
		"batch own param":     func(c *SQLConfig) { c.BatchQuery = "SELECT k, v FROM kv WHERE k IN ({keys}) AND x = ?" },
		"batch quoted marker": func(c *SQLConfig) { c.BatchQuery = "SELECT k, v FROM kv WHERE k = '{keys}'" },
		"batch size 0":        func(c *SQLConfig) { c.BatchSize = 0 },
		"batch size huge":     func(c *SQLConfig) { c.BatchSize = maxBatchSize + 1 },
		"negative pool":       func(c *SQLConfig) { c.MaxOpenConns = -1 },
		"no connect timeout":  func(c *SQLConfig) { c.ConnectTimeout = 0 },
	}
	for name, mutate := range bad {
		cfg := DefaultSQLiteConfig()
		mutate(&cfg)
		if err := cfg.validate(); err == nil {
			t.Errorf("%s: validate accepted %+v", name, cfg)
		}
	}
	ok := DefaultPostgresConfig()
	ok.Query = "SELECT v FROM kv WHERE k = $1 OR lower(k) = $1"
	if err := ok.validate(); err != nil {
		t.Errorf("repeated $1 rejected: %v", err)
	}
	pg := DefaultPostgresConfig()
	pg.Query = "SELECT v FROM kv WHERE k = $2"
	if err := pg.validate(); err == nil {
		t.Error("postgres Query with $2 only was accepted")
	}
}

func TestBatchWidth(t *testing.T) {
	for _, c := range [][3]int{{1, 100, 1}, {2, 100, 2}, {3, 100, 4}, {64, 100, 64}, {65, 100, 100}, {100, 100, 100}, {5, 5, 5}} {
		if got := batchWidth(c[0], c[1]); got != c[2] {
			t.Errorf("batchWidth(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

// FuzzScanParams checks that the scanner never panics, that every parameter
// it reports is text of the query, and that a rendered batch query always
// has exactly the placeholders it was rendered with when the template alone
// has none.
func FuzzScanParams(f *testing.F) {
	f.Add("SELECT v FROM kv WHERE k = ?", uint8(1))
	f.Add("SELECT $tag$ $1 $tag$ FROM t WHERE k = $1 -- x", uint8(2))
	f.Add("SELECT E'\\'' /* /* */ */ [x] `y` \"z\" :a @b", uint8(1))
	f.Fuzz(func(t *testing.T, q string, dialect uint8) {
		d := Dialect(dialect%2 + 1)
		params, err := scanParams(q, d)
		if err != nil {
			return
		}
		for _, p := range params {
			if !strings.Contains(q, p) {
				t.Fatalf("param %q not in query", p)
			}
		}
		if len(params) > 0 || strings.Contains(q, keysMarker) {
			return
		}
		rendered := q + "\n WHERE k IN (" + keysMarker + ")"
		if got, err := scanParams(renderBatch(rendered, d, 3), d); err == nil && len(got) != 3 {
			t.Fatalf("rendered batch has %d params, want 3: %q", len(got), got)
		}
	})
}
