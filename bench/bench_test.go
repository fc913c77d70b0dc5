package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkZipfianNext is the cost of one key choice (the harness's own
// overhead per operation).
func BenchmarkZipfianNext(b *testing.B) {
	z, err := NewZipfian(1_000_000, 0.99)
	if err != nil {
		b.Fatal(err)
	}
	s := ScrambledZipfian{Z: z}
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		_ = s.Next(r, 1_000_000)
	}
}

// BenchmarkGeneratorNext is the cost of generating one YCSB B operation.
func BenchmarkGeneratorNext(b *testing.B) {
	w, err := NewWorkload(DefaultWorkload())
	if err != nil {
		b.Fatal(err)
	}
	g := w.Generator(0)
	var op Op
	for b.Loop() {
		g.Next(&op)
	}
}

// BenchmarkRecorderRecord is the cost of recording one latency, with
// parallel workers sharing the recorder's shards.
func BenchmarkRecorderRecord(b *testing.B) {
	start := time.Now()
	rec := NewRecorder(start)
	b.RunParallel(func(pb *testing.PB) {
		worker := rand.IntN(1 << 20)
		for pb.Next() {
			rec.Record(worker, OpRead, 150*time.Microsecond, start, Hit, nil)
		}
	})
}
