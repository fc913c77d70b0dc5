package store

import "encoding/binary"

// The small encodings are flat byte slices, like Redis's listpack: a
// sequence of uvarint-length-prefixed strings (a hash entry is field,
// value, then a uvarint field deadline, 0 for none). Entries keep their
// insertion order, as in a listpack. They are decoded into slices aliasing
// the record for one operation and rewritten whole when changed, which is
// O(n) in at most a few KiB, as Redis's listpack edits are.

// lpNext reads one length-prefixed string at b[i:]; ok false on a
// malformed slice (only Import can give one).
func lpNext(b []byte, i int) (s []byte, next int, ok bool) {
	n, w := binary.Uvarint(b[i:])
	if w <= 0 || uint64(len(b)-i-w) < n {
		return nil, 0, false
	}
	i += w
	return b[i : i+int(n) : i+int(n)], i + int(n), true
}

// lpAppend appends one length-prefixed string.
func lpAppend(dst, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// hent is one decoded hash entry: dl is the field's deadline on the
// store's clock (0 = none).
type hent struct {
	f, v []byte
	dl   int64
}

// decodeHash appends the entries of a small hash to dst.
func decodeHash(dst []hent, b []byte) ([]hent, bool) {
	for i := 0; i < len(b); {
		var e hent
		var ok bool
		if e.f, i, ok = lpNext(b, i); !ok {
			return dst, false
		}
		if e.v, i, ok = lpNext(b, i); !ok {
			return dst, false
		}
		d, w := binary.Uvarint(b[i:])
		if w <= 0 {
			return dst, false
		}
		e.dl, i = int64(d), i+w
		dst = append(dst, e)
	}
	return dst, true
}

// encodeHash appends the small encoding of es.
func encodeHash(dst []byte, es []hent) []byte {
	for _, e := range es {
		dst = lpAppend(dst, e.f)
		dst = lpAppend(dst, e.v)
		dst = binary.AppendUvarint(dst, uint64(e.dl))
	}
	return dst
}

// decodeMembers appends the members of a small set to dst.
func decodeMembers(dst [][]byte, b []byte) ([][]byte, bool) {
	for i := 0; i < len(b); {
		var m []byte
		var ok bool
		if m, i, ok = lpNext(b, i); !ok {
			return dst, false
		}
		dst = append(dst, m)
	}
	return dst, true
}

// strBytes is the Go heap size of a string of n bytes (its allocation
// rounded to a size class, roughly).
func strBytes(n int) int64 {
	switch {
	case n == 0:
		return 0
	case n <= 16:
		return 16
	case n <= 128:
		return int64(n+15) &^ 15
	default:
		return int64(n+127) &^ 127
	}
}
