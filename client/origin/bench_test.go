package origin

import (
	"context"
	"fmt"
	"testing"

	"github.com/ringcache/ringcache/internal/pgtest"
)

// BenchmarkLoad measures one Load (a hit on a 100-byte value) per origin,
// in parallel, over real servers on loopback. For the SQL origins it also
// measures LoadMany of 100 keys (reported per key).
func BenchmarkLoad(b *testing.B) {
	value := make([]byte, 100)
	b.Run("origin=sqlite", func(b *testing.B) {
		rows := map[string][]byte{}
		for i := range 1000 {
			rows[fmt.Sprint(i)] = value
		}
		o, err := NewSQLite(sqliteFile(b, rows), DefaultSQLiteConfig())
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		benchOrigin(b, o)
	})
	b.Run("origin=postgres", func(b *testing.B) {
		s := pgtest.Start(b)
		s.Exec(b, "CREATE TABLE kv (k text PRIMARY KEY, v bytea)",
			"INSERT INTO kv SELECT i::text, convert_to(repeat('x', 100), 'UTF8') FROM generate_series(0, 999) i")
		o, err := NewPostgres(s.DSN, DefaultPostgresConfig())
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		benchOrigin(b, o)
	})
	b.Run("origin=redis", func(b *testing.B) {
		s := startRedisForBench(b)
		cfg := DefaultRedisConfig()
		cfg.Addrs = []string{s}
		o, err := NewRedis(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		benchOrigin(b, o)
	})
}

type batchOrigin interface {
	Loader
	BatchLoader
}

func benchOrigin(b *testing.B, o batchOrigin) {
	b.Run("op=Load", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := o.Load(context.Background(), fmt.Sprint(i%1000)); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprint(i * 7)
	}
	b.Run("op=LoadMany100", func(b *testing.B) {
		for b.Loop() {
			if m, err := o.LoadMany(context.Background(), keys); err != nil || len(m) != len(keys) {
				b.Fatalf("LoadMany: %d keys, %v", len(m), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
}
