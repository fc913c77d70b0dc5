package store

import (
	"math"
	"math/big"
	"strconv"
	"unsafe"
)

// INCRBYFLOAT emulates Redis on x86-64: the value and the increment are
// parsed as 80-bit long doubles (64-bit mantissa), added, and printed with
// "%.17Lf" with trailing zeros trimmed. big.Float with 64-bit precision
// rounds exactly like the x87 unit for these operations. The increment
// arrives as a float64; its shortest decimal form is what the client sent
// for any increment of up to 17 significant digits, so it is re-parsed as a
// long double from that text.

const (
	ldPrec   = 64
	ldMaxExp = 16384 // long double overflows at 2^16384
)

func addFloat(dst, cur []byte, delta float64) ([]byte, error) {
	if math.IsNaN(delta) {
		return dst, ErrNotFloat
	}
	var x big.Float
	x.SetPrec(ldPrec)
	if cur != nil && !parseLongDouble(&x, cur) {
		return dst, ErrNotFloat
	}
	if x.IsInf() || math.IsInf(delta, 0) {
		return dst, ErrNaNOrInf
	}
	var d big.Float
	d.SetPrec(ldPrec)
	var buf [32]byte
	if !parseLongDouble(&d, strconv.AppendFloat(buf[:0], delta, 'g', -1, 64)) {
		return dst, ErrNotFloat
	}
	x.Add(&x, &d)
	if x.MantExp(nil) > ldMaxExp {
		return dst, ErrNaNOrInf
	}
	return appendLongDouble(dst, &x), nil
}

// parseLongDouble parses b like strtold in Redis's string2ld: no leading
// space, the whole string, no NaN.
func parseLongDouble(x *big.Float, b []byte) bool {
	if len(b) == 0 || len(b) > 5*1024 || !floatSyntax(b) {
		return false
	}
	if isInfText(b) {
		x.SetInf(b[0] == '-')
		return true
	}
	if _, _, err := x.Parse(string(b), 0); err != nil {
		return false
	}
	return x.MantExp(nil) <= ldMaxExp
}

func isInfText(b []byte) bool {
	if b[0] == '+' || b[0] == '-' {
		b = b[1:]
	}
	return len(b) >= 3 && (b[0]|0x20) == 'i'
}

// floatSyntax accepts [sign] (digits[.digits] | .digits) [e[sign]digits],
// hex floats 0x…[p…], and inf/infinity.
func floatSyntax(b []byte) bool {
	i := 0
	if b[i] == '+' || b[i] == '-' {
		i++
	}
	rest := b[i:]
	if equalFold(string(rest), "inf") || equalFold(string(rest), "infinity") {
		return true
	}
	if len(rest) > 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		return mantissaExp(rest[2:], isHex, 'p')
	}
	return mantissaExp(rest, isDigit, 'e')
}

// mantissaExp accepts digits[.digits] | .digits, then optionally the
// exponent letter, a sign and decimal digits, and nothing after: the shape
// of decimal (digit isDigit, 'e') and hex (isHex, 'p') floats alike.
func mantissaExp(b []byte, digit func(byte) bool, exp byte) bool {
	i, digits := 0, 0
	for i < len(b) && digit(b[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && digit(b[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && b[i]|0x20 == exp {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		n := 0
		for i < len(b) && isDigit(b[i]) {
			i, n = i+1, n+1
		}
		if n == 0 {
			return false
		}
	}
	return i == len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// appendLongDouble prints x like "%.17Lf" with trailing zeros (and a
// trailing '.') removed, and "-0" printed as "0".
func appendLongDouble(dst []byte, x *big.Float) []byte {
	n := len(dst)
	dst = x.Append(dst, 'f', 17)
	out := dst[n:]
	for len(out) > 0 && out[len(out)-1] == '0' {
		out = out[:len(out)-1]
	}
	if len(out) > 0 && out[len(out)-1] == '.' {
		out = out[:len(out)-1]
	}
	if string(out) == "-0" {
		return append(dst[:n], '0')
	}
	return dst[:n+len(out)]
}

func ptrLess(a, b *byte) bool { return uintptr(unsafe.Pointer(a)) < uintptr(unsafe.Pointer(b)) }
