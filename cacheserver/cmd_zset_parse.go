package cacheserver

// Score and range parsing of the sorted set commands, as Redis 7.0 does
// it: a score is strtod over the whole argument (no leading space, no
// NaN, no overflow); a range bound is strtod after an optional '('
// (leading space and an empty string, read as 0, are accepted, overflow
// gives ±inf); a lex bound is '[' or '(' and a string, or '-' / '+'.

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/ringcache/ringcache/internal/store"
)

const (
	zNotFloatErr  = "ERR value is not a valid float"
	zMinMaxErr    = "ERR min or max is not a float"
	zLexRangeErr  = "ERR min or max not valid string range item"
	zWeightErr    = "ERR weight value is not a float"
	zLimitRankErr = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	zScoresLexErr = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	zPositiveErr  = "ERR value is out of range, must be positive"
)

// strtod parses b like C's strtod over the whole of b (after leading
// space when lead): ok false on a syntax error or NaN; overflow is ±inf
// with ranged true.
func strtod(b []byte, lead bool) (f float64, ranged, ok bool) {
	s := string(b)
	if lead {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
	}
	if s == "" || strings.ContainsAny(s, "_ ") {
		return 0, false, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(body) > 2 && body[0] == '0' && body[1]|0x20 == 'x' && !strings.ContainsAny(body, "pP") {
		s += "p0" // C accepts hex floats without an exponent
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne := (*strconv.NumError)(nil); errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true, true
		}
		return 0, false, false
	}
	if math.IsNaN(f) {
		return 0, false, false
	}
	if f == 0 && strings.ContainsAny(strings.SplitN(strings.ToLower(body), "e", 2)[0], "123456789") {
		return 0, true, true // underflow: strtod sets ERANGE
	}
	return f, false, true
}

// parseScore parses a score or increment (getDoubleFromObject).
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || strings.ContainsRune(" \t\n\v\f\r", rune(b[0])) {
		return 0, false
	}
	f, ranged, ok := strtod(b, false)
	return f, ok && !ranged
}

// parseScoreBound parses a BYSCORE bound.
func parseScoreBound(b []byte) (store.ZBound, bool) {
	var z store.ZBound
	if len(b) > 0 && b[0] == '(' {
		z.Excl, b = true, b[1:]
	}
	if strings.TrimLeft(string(b), " \t\n\v\f\r") == "" {
		return z, true // strtod of nothing: 0
	}
	f, _, ok := strtod(b, true)
	z.Score = f
	return z, ok
}

// parseLexBound parses a BYLEX bound.
func parseLexBound(b []byte) (store.ZBound, bool) {
	var z store.ZBound
	switch {
	case len(b) == 0:
		return z, false
	case len(b) == 1 && b[0] == '+':
		z.Inf = 1
	case len(b) == 1 && b[0] == '-':
		z.Inf = -1
	case b[0] == '(' || b[0] == '[':
		z.Excl, z.Lex = b[0] == '(', b[1:]
	default:
		return z, false
	}
	return z, true
}

// parseZRangeBounds fills q's bounds from min and max (already in
// ascending order) and replies the error when they do not parse.
func parseZRangeBounds(c *conn, q *store.ZRangeSpec, min, max []byte) bool {
	var ok1, ok2 bool
	switch q.By {
	case store.ZByRank:
		var ok bool
		if q.Start, ok = parseInt(c, min); !ok {
			return false
		}
		q.Stop, ok = parseInt(c, max)
		return ok
	case store.ZByScore:
		q.Min, ok1 = parseScoreBound(min)
		q.Max, ok2 = parseScoreBound(max)
		if !ok1 || !ok2 {
			c.replyErrString(zMinMaxErr)
			return false
		}
	default:
		q.Min, ok1 = parseLexBound(min)
		q.Max, ok2 = parseLexBound(max)
		if !ok1 || !ok2 {
			c.replyErrString(zLexRangeErr)
			return false
		}
	}
	return true
}
