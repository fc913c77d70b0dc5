package cacheserver

import "math"

// bitfieldAdd is value + incr in a field of bits (signed or not) under the
// overflow behaviour, as Redis's checkSignedBitfieldOverflow and
// checkUnsignedBitfieldOverflow: it returns the value to store and whether
// the sum overflowed. With FAIL the value is meaningless.
func bitfieldAdd(value, incr int64, bits int, signed bool, ow int) (int64, bool) {
	if signed {
		return signedFieldAdd(value, incr, bits, ow)
	}
	return unsignedFieldAdd(uint64(value), incr, bits, ow)
}

func signedFieldAdd(value, incr int64, bits int, ow int) (int64, bool) {
	maxV := int64(math.MaxInt64)
	if bits < 64 {
		maxV = int64(1)<<(bits-1) - 1
	}
	minV := -maxV - 1
	maxIncr := int64(uint64(maxV) - uint64(value))
	minIncr := minV - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > maxV || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		if ow == bfWrap {
			return wrap(), true
		}
		return maxV, true
	case value < minV || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		if ow == bfWrap {
			return wrap(), true
		}
		return minV, true
	}
	return value + incr, false
}

func unsignedFieldAdd(value uint64, incr int64, bits int, ow int) (int64, bool) {
	maxV := uint64(1)<<bits - 1 // bits <= 63
	maxIncr := int64(maxV - value)
	minIncr := -int64(value)
	wrap := func() int64 { return int64((value + uint64(incr)) &^ (uint64(math.MaxUint64) << bits)) }
	switch {
	case value > maxV || (incr > 0 && incr > maxIncr):
		if ow == bfWrap {
			return wrap(), true
		}
		return int64(maxV), true
	case incr < 0 && incr < minIncr:
		if ow == bfWrap {
			return wrap(), true
		}
		return 0, true
	}
	return int64(value + uint64(incr)), false
}
