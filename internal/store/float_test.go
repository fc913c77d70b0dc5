package store

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/redistest"
)

var floatCases = []struct{ init, incr string }{
	{"10.50", "0.1"}, {"5.0e3", "200"}, {"0", "5.0e3"}, {"3.0e18", "1"}, {"1.1", "2.2"},
	{"0.1", "0.2"}, {"-1", "1"}, {"10", "-10.1"}, {"1e20", "1"}, {"123456789012345678", "1"},
	{"0", "1e-5"}, {"0", "0.000001"}, {"1.5", "1e300"}, {"-0", "0"}, {"", "3.14159265358979"},
	{"7", "-7"}, {"99999999999999999999", "0.5"}, {"0x10", "1"}, {"1.", "1"}, {".5", "0.25"},
	{"+2", "1"}, {"2.5E+2", "1.25"}, {"1e-300", "1e-300"}, {"9007199254740993", "1"},
	{"0.3", "-0.1"}, {"1.23456789012345678", "0"}, {"5", "1e17"}, {"4.9e-324", "0"},
}

// TestIncrByFloatMatchesRedis runs every case on redis-server 7 and on the
// store and compares the replies byte for byte.
func TestIncrByFloatMatchesRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: 2})
	defer rc.Close()
	ctx := context.Background()
	s, _ := newTest(t)
	for i, c := range floatCases {
		key := "f" + strconv.Itoa(i)
		if c.init != "" {
			rc.Set(ctx, key, c.init, 0)
			mustSet(t, s, key, c.init, SetOptions{})
		}
		want, rerr := rc.Do(ctx, "INCRBYFLOAT", key, c.incr).Text()
		delta, err := strconv.ParseFloat(c.incr, 64)
		if err != nil {
			t.Fatal(err)
		}
		got, serr := s.IncrByFloat(nil, b(key), delta)
		if rerr != nil || serr != nil {
			if rerr == nil || serr == nil || rerr.Error() != serr.Error() {
				t.Errorf("%q + %q: redis err %v, store err %v (%q)", c.init, c.incr, rerr, serr, got)
			}
			continue
		}
		if string(got) != want {
			t.Errorf("%q + %q: redis %q, store %q", c.init, c.incr, want, got)
		}
		if v, _ := s.Get(nil, b(key)); string(v) != want {
			t.Errorf("%q + %q: stored %q", c.init, c.incr, v)
		}
	}
}

func TestIncrByFloatErrors(t *testing.T) {
	s, _ := newTest(t)
	for _, bad := range []string{"abc", " 1", "1 ", "1e", "nan", "1e5000", "1_0", "0b1", "--1", ""} {
		mustSet(t, s, "k", bad, SetOptions{})
		if _, err := s.IncrByFloat(nil, b("k"), 1); !errors.Is(err, ErrNotFloat) {
			t.Errorf("value %q: %v", bad, err)
		}
	}
	mustSet(t, s, "k", "inf", SetOptions{})
	if _, err := s.IncrByFloat(nil, b("k"), 1); !errors.Is(err, ErrNaNOrInf) {
		t.Error("inf:", err)
	}
	mustSet(t, s, "k", "1e4930", SetOptions{})
	if _, err := s.IncrByFloat(nil, b("k"), 1e308); err != nil {
		t.Error("long double range:", err)
	}
	s.Del(b("k"))
	if v, err := s.IncrByFloat(nil, b("k"), 1.5); err != nil || string(v) != "1.5" {
		t.Error("missing key:", v, err)
	}
}
