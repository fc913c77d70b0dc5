package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/client"
	"github.com/ringcache/ringcache/internal/pgtest"
	"github.com/ringcache/ringcache/internal/redistest"
)

// checkOrigin loads a present and an absent key and checks the count.
func checkOrigin(t *testing.T, o *Origin, w *Workload) {
	t.Helper()
	ctx := context.Background()
	last := KeyName(w.Config().Records - 1)
	v, err := o.Load(ctx, last)
	if err != nil || len(v) != w.Config().ValueMin {
		t.Fatalf("%s: Load(%s) = %d bytes, %v", o.Kind(), last, len(v), err)
	}
	if _, err := o.Load(ctx, KeyName(w.Config().Records)); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("%s: key past the records: %v", o.Kind(), err)
	}
	if o.Queries() != 2 {
		t.Errorf("%s: %d queries counted, want 2", o.Kind(), o.Queries())
	}
}

func TestOriginSQLiteLatency(t *testing.T) {
	w := testWorkload(t, 1200) // more than one fill batch
	o, err := OpenOrigin(context.Background(), OriginConfig{Latency: 20 * time.Millisecond}, w)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	start := time.Now()
	checkOrigin(t, o, w)
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("two loads with 20ms injected latency took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Load(ctx, KeyName(0)); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled load during the injected latency: %v", err)
	}
}

func TestOriginSQLiteReopen(t *testing.T) {
	w, dir := testWorkload(t, 50), t.TempDir()
	o, err := OpenOrigin(context.Background(), OriginConfig{Dir: dir}, w)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	o, err = OpenOrigin(context.Background(), OriginConfig{Dir: dir, NoPreload: true}, w)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	checkOrigin(t, o, w)
}

func TestOriginRedis(t *testing.T) {
	w := testWorkload(t, 300)
	bin := redistest.Binary(t, "redis-server")
	o, err := OpenOrigin(context.Background(), OriginConfig{Kind: "redis", RedisBin: bin}, w)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	checkOrigin(t, o, w)
}

func TestOriginPostgres(t *testing.T) {
	s := pgtest.Start(t)
	w := testWorkload(t, 700)
	for range 2 { // the second fill overwrites the rows of the first
		o, err := OpenOrigin(context.Background(), OriginConfig{Kind: "postgres", DSN: s.DSN}, w)
		if err != nil {
			t.Fatal(err)
		}
		checkOrigin(t, o, w)
		o.Close()
	}
}

func TestOriginConfigValidate(t *testing.T) {
	for _, c := range []OriginConfig{{Kind: "mysql"}, {Kind: "postgres"}, {Latency: -time.Millisecond}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	for _, c := range []OriginConfig{{}, {Kind: "redis"}, {Kind: "postgres", DSN: "postgres://x"}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestUpsertSQL(t *testing.T) {
	got := upsertSQL(2, "$")
	want := "INSERT INTO kv (k, v) VALUES ($1, $2), ($3, $4) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
	if got != want {
		t.Errorf("postgres: %s", got)
	}
	if got := upsertSQL(3, "?"); !strings.Contains(got, "VALUES (?, ?), (?, ?), (?, ?) ON") {
		t.Errorf("sqlite: %s", got)
	}
}
