package cacheserver

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// naiveBits expands v to one byte (0 or 1) per bit.
func naiveBits(v []byte) []byte {
	out := make([]byte, 0, len(v)*8)
	for _, b := range v {
		for i := 7; i >= 0; i-- {
			out = append(out, b>>i&1)
		}
	}
	return out
}

// TestBitRangeOps compares popcount and bitPos with a bit-by-bit reference
// over random strings and ranges.
func TestBitRangeOps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "v")
		start := rapid.OneOf(rapid.Int64Range(-120, 120), rapid.Int64()).Draw(t, "start")
		end := rapid.OneOf(rapid.Int64Range(-120, 120), rapid.Int64()).Draw(t, "end")
		isBit := rapid.Bool().Draw(t, "isBit")
		bit := byte(rapid.IntRange(0, 1).Draw(t, "bit"))
		r := normRange(start, end, isBit, int64(len(v)))
		bs := naiveBits(v)
		var count int64
		pos := int64(-1)
		for i := r.first; i <= r.last; i++ {
			count += int64(bs[i])
			if pos < 0 && bs[i] == bit {
				pos = i
			}
		}
		if got := popcount(v, r); got != count {
			t.Fatalf("popcount(%x, %v) = %d, want %d", v, r, got, count)
		}
		if got := bitPos(v, r, bit, true); got != pos {
			t.Fatalf("bitPos(%x, %v, %d) = %d, want %d", v, r, bit, got, pos)
		}
	})
}

// naiveLCSLen is the textbook LCS length.
func naiveLCSLen(a, b []byte) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if a[len(a)-1] == b[len(b)-1] {
		return naiveLCSLen(a[:len(a)-1], b[:len(b)-1]) + 1
	}
	return max(naiveLCSLen(a[:len(a)-1], b), naiveLCSLen(a, b[:len(b)-1]))
}

// TestLCSProperties: the result is a common subsequence of maximal length,
// and the reported ranges are equal bytes in both strings that together
// spell the result.
func TestLCSProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := []byte(rapid.StringMatching(`[abc]{0,9}`).Draw(t, "a"))
		b := []byte(rapid.StringMatching(`[abc]{0,9}`).Draw(t, "b"))
		s, ms := lcs(a, b)
		if len(s) != naiveLCSLen(a, b) {
			t.Fatalf("lcs(%q, %q) = %q, want length %d", a, b, s, naiveLCSLen(a, b))
		}
		var spelled []byte
		for i := len(ms) - 1; i >= 0; i-- {
			m := ms[i]
			x, y := a[m.aStart:m.aEnd+1], b[m.bStart:m.bEnd+1]
			if !bytes.Equal(x, y) {
				t.Fatalf("range %+v: %q != %q", m, x, y)
			}
			spelled = append(spelled, x...)
		}
		if !bytes.Equal(spelled, s) {
			t.Fatalf("ranges spell %q, lcs %q", spelled, s)
		}
	})
}
