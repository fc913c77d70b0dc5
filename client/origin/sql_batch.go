package origin

import (
	"context"
	"database/sql"
	"errors"
)

// LoadMany returns the values of the keys the origin has. With a BatchQuery
// it sends the distinct keys in chunks of at most BatchSize, each bound to a
// prepared statement whose placeholder count is the chunk length rounded up
// to a power of two (padding repeats the last key), so at most
// log2(BatchSize)+2 statements are ever prepared. Without one it calls Load
// per key.
func (o *SQLOrigin) LoadMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if o.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	keys = distinct(keys)
	out := make(map[string][]byte, len(keys))
	if o.cfg.BatchQuery == "" {
		return out, o.loadEach(ctx, keys, out)
	}
	for start := 0; start < len(keys); start += o.cfg.BatchSize {
		chunk := keys[start:min(start+o.cfg.BatchSize, len(keys))]
		if err := o.loadChunk(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (o *SQLOrigin) loadEach(ctx context.Context, keys []string, out map[string][]byte) error {
	for _, k := range keys {
		v, err := o.Load(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out[k] = v
	}
	return nil
}

func (o *SQLOrigin) loadChunk(ctx context.Context, keys []string, out map[string][]byte) error {
	n := batchWidth(len(keys), o.cfg.BatchSize)
	stmt, err := o.batchStmt(ctx, n)
	if err != nil {
		return err
	}
	args := make([]any, n)
	for i := range args {
		args[i] = keys[min(i, len(keys)-1)]
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return o.err(ctx, "batch load", err)
	}
	defer rows.Close()
	if err := scanBatch(rows, keys, out); err != nil {
		return o.err(ctx, "batch load", err)
	}
	return nil
}

// scanBatch reads (key, value) rows into out, keeping only requested keys
// with non-NULL values.
func scanBatch(rows *sql.Rows, keys []string, out map[string][]byte) error {
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	for rows.Next() {
		var k string
		var v sql.Null[[]byte]
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if want[k] && v.Valid {
			out[k] = nonNil(v.V)
		}
	}
	return rows.Err()
}

// batchWidth rounds n up to a power of two, capped at max.
func batchWidth(n, max int) int {
	w := 1
	for w < n {
		w *= 2
	}
	return min(w, max)
}

// batchStmt returns the prepared batch statement with n placeholders,
// preparing it on first use (outside the lock: a slow database must not
// hold up batches of other widths).
func (o *SQLOrigin) batchStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	o.mu.Lock()
	s, closed := o.batches[n], o.batches == nil
	o.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if s != nil {
		return s, nil
	}
	s, err := o.db.PrepareContext(ctx, renderBatch(o.cfg.BatchQuery, o.cfg.Dialect, n))
	if err != nil {
		return nil, o.err(ctx, "prepare BatchQuery", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.batches == nil {
		_ = s.Close()
		return nil, ErrClosed
	}
	if prev := o.batches[n]; prev != nil { // another call won the race
		_ = s.Close()
		return prev, nil
	}
	o.batches[n] = s
	return s, nil
}

func distinct(keys []string) []string {
	seen := make(map[string]struct{}, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}
