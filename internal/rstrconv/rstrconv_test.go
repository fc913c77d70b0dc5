package rstrconv

import (
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "-1": -1, "9223372036854775807": 1<<63 - 1,
		"-9223372036854775808": -1 << 63, "1234567890": 1234567890}
	for s, want := range good {
		if got, ok := ParseInt([]byte(s)); !ok || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "-", "+1", " 1", "1 ", "01", "-0", "00", "1.0", "1e3",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999", "123456789012345678901", "0x10", "１"} {
		if got, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) = %d, accepted", s, got)
		}
	}
}

// FuzzParseInt: ParseInt accepts exactly the canonical decimal int64s.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "01", "9223372036854775807", "-9223372036854775808", "+5"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := ParseInt(b)
		want, err := strconv.ParseInt(string(b), 10, 64)
		canonical := err == nil && strconv.FormatInt(want, 10) == string(b)
		if ok != canonical || (ok && got != want) {
			t.Fatalf("ParseInt(%q) = %d, %v; strconv says %d, %v (canonical %v)", b, got, ok, want, err, canonical)
		}
	})
}

// TestParseIntCanonical: Redis's string2ll accepts exactly the canonical
// decimal spellings of int64 values (runs in make test; the fuzz target
// explores further).
func TestParseIntCanonical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.StringMatching(`-?[0-9]{0,21}`),
			rapid.Map(rapid.Int64(), func(v int64) string { return strconv.FormatInt(v, 10) })).Draw(t, "s")
		v, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(v, 10) == s
		got, ok := ParseInt([]byte(s))
		if ok != canonical || (ok && got != v) {
			t.Fatalf("ParseInt(%q) = %d, %v; canonical %v", s, got, ok, canonical)
		}
	})
}
