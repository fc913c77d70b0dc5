package bench

import (
	"context"
	"errors"
	"sync"
)

// Preload writes the workload's initial records (0 .. Records-1) with
// concurrency goroutines, using the target's Loader when it has one and one
// SET per record otherwise. This is YCSB's load phase.
func Preload(ctx context.Context, t Target, w *Workload, concurrency int) error {
	n := w.Config().Records
	workers := max(min(int64(concurrency), n), 1)
	per := (n + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		from, to := i*per, min((i+1)*per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = loadRange(ctx, t, w.Generator(1_000_000+int(i)), from, to)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func loadRange(ctx context.Context, t Target, g *Generator, from, to int64) error {
	if l, ok := t.(Loader); ok {
		return l.Load(ctx, g, from, to)
	}
	for i := from; i < to; i++ {
		op := Op{Type: OpInsert, Key: KeyName(i), Value: g.LoadValue(), TTL: g.w.cfg.TTL}
		if _, err := t.Do(ctx, &op); err != nil {
			return err
		}
	}
	return nil
}
