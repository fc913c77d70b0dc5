package cacheserver

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestIncrByFloatFormat checks long double arithmetic and formatting
// against values recorded from redis-server 7.0.
func TestIncrByFloatFormat(t *testing.T) {
	cases := []struct{ cur, incr, want string }{
		{"3101", "5.0e-3", "3101.00499999999999989"},
		{"0", "1.23456789012345678", "1.23456789012345678"},
		{"1.23456789012345678", "0.1", "1.33456789012345678"},
		{"0", "3.14159265358979323846", "3.14159265358979324"},
		{"0.1", "0.2", "0.3"},
		{"0.3", "-0.3", "0"},
		{"-0", "0", "0"},
		{"0", "1e17", "100000000000000000"},
		{"0", "-1e-17", "-0.00000000000000001"},
		{"5.", "1", "6"},
		{".5", "1", "1.5"},
		{"1e3", "1", "1001"},
		{"0", "0x10", "16"},
	}
	for _, tc := range cases {
		a, ok1 := parseLongDouble([]byte(tc.cur))
		b, ok2 := parseLongDouble([]byte(tc.incr))
		if !ok1 || !ok2 {
			t.Errorf("parse %q %q: %v %v", tc.cur, tc.incr, ok1, ok2)
			continue
		}
		got, e := addLongDouble(nil, a, b)
		if e != "" || string(got) != tc.want {
			t.Errorf("%s + %s = %q %q, want %q", tc.cur, tc.incr, got, e, tc.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "abc", "nan", "1e", "0x", "1e99999", "0b1", "1_0", "--1"} {
		if _, ok := parseLongDouble([]byte(bad)); ok {
			t.Errorf("parseLongDouble(%q) accepted", bad)
		}
	}
	inf, _ := parseLongDouble([]byte("-Infinity"))
	one, _ := parseLongDouble([]byte("1"))
	if _, e := addLongDouble(nil, inf, one); e != nanOrInfErr {
		t.Errorf("inf + 1: %q", e)
	}
	huge, _ := parseLongDouble([]byte("1e4932"))
	if _, e := addLongDouble(nil, huge, huge); e != nanOrInfErr {
		t.Errorf("overflow: %q", e)
	}
}

// BenchmarkIncrByFloatArith measures INCRBYFLOAT's long double emulation
// (parse the stored value and the increment, add, format).
func BenchmarkIncrByFloatArith(b *testing.B) {
	cur, incr := []byte("3101.00499999999999989"), []byte("0.1")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		x, _ := parseLongDouble(cur)
		y, _ := parseLongDouble(incr)
		buf, _ = addLongDouble(buf[:0], x, y)
	}
}

// TestIncrByFloatConcurrent: concurrent INCRBYFLOAT on one key lose no
// update (the compare-and-swap retries) and keep the TTL.
func TestIncrByFloatConcurrent(t *testing.T) {
	ctx := context.Background()
	rdb := goRedisClient(t, startCmdServer(t), 2)
	rdb.Set(ctx, "f", "0", time.Hour)
	const workers, each = 8, 100
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := rdb.IncrByFloat(ctx, "f", 0.5).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	s, err := rdb.Get(ctx, "f").Result()
	if err != nil || s != "400" {
		t.Errorf("f = %q, %v; want 400", s, err)
	}
	if d := rdb.TTL(ctx, "f").Val(); d <= 0 {
		t.Errorf("TTL = %v, want kept", d)
	}
}
