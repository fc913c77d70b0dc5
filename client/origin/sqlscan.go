package origin

import (
	"errors"
	"fmt"
	"strings"
)

// Dialect selects the SQL placeholder syntax of an SQLOrigin.
type Dialect int

const (
	// DialectSQLite: placeholders ?, ?NNN, :name, @name, $name.
	DialectSQLite Dialect = iota + 1
	// DialectPostgres: placeholders $1, $2, …
	DialectPostgres
)

// String returns "sqlite", "postgres" or "dialect(N)".
func (d Dialect) String() string {
	switch d {
	case DialectSQLite:
		return "sqlite"
	case DialectPostgres:
		return "postgres"
	}
	return fmt.Sprintf("dialect(%d)", int(d))
}

// keysMarker is replaced in a batch query by the list of key placeholders.
const keysMarker = "{keys}"

var errUnterminated = errors.New("unterminated literal, quoted identifier or comment")

// scanParams returns the bind parameters of q in order, skipping string
// literals, quoted identifiers and comments of dialect d.
func scanParams(q string, d Dialect) ([]string, error) {
	var params []string
	for i := 0; i < len(q); {
		next, param, err := scanToken(q, i, d)
		if err != nil {
			return nil, err
		}
		if param != "" {
			params = append(params, param)
		}
		i = next
	}
	return params, nil
}

// scanToken looks at q[i:], returns where scanning continues and the bind
// parameter that starts at i, if any.
func scanToken(q string, i int, d Dialect) (next int, param string, err error) {
	c := q[i]
	switch {
	case c == '\'':
		return skipQuoted(q, i, '\'', d == DialectPostgres && isEString(q, i))
	case c == '"' || (d == DialectSQLite && c == '`'):
		return skipQuoted(q, i, c, false)
	case d == DialectSQLite && c == '[':
		return skipTo(q, i+1, "]")
	case strings.HasPrefix(q[i:], "--"):
		if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
			return i + j + 1, "", nil
		}
		return len(q), "", nil
	case strings.HasPrefix(q[i:], "/*"):
		return skipBlockComment(q, i, d == DialectPostgres)
	case d == DialectPostgres && c == '$':
		return scanDollar(q, i)
	case d == DialectSQLite && c == '?':
		j := i + 1 + spanOf(q[i+1:], isDigit)
		return j, q[i:j], nil
	case d == DialectSQLite && (c == ':' || c == '@' || c == '$'):
		n := spanOf(q[i+1:], isIdent)
		if n == 0 {
			return i + 1, "", nil
		}
		return i + 1 + n, q[i : i+1+n], nil
	case isIdent(c):
		return i + spanOf(q[i:], isIdent), "", nil
	}
	return i + 1, "", nil
}

// skipQuoted skips a literal opened by quote at q[i]; a doubled quote is an
// escaped quote, and so is a backslash-escaped one when backslash is true.
func skipQuoted(q string, i int, quote byte, backslash bool) (int, string, error) {
	for j := i + 1; j < len(q); j++ {
		switch {
		case backslash && q[j] == '\\':
			j++
		case q[j] == quote && j+1 < len(q) && q[j+1] == quote:
			j++
		case q[j] == quote:
			return j + 1, "", nil
		}
	}
	return 0, "", errUnterminated
}

func skipTo(q string, i int, end string) (int, string, error) {
	j := strings.Index(q[i:], end)
	if j < 0 {
		return 0, "", errUnterminated
	}
	return i + j + len(end), "", nil
}

// skipBlockComment skips /* … */, nested when nested is true (PostgreSQL).
func skipBlockComment(q string, i int, nested bool) (int, string, error) {
	depth := 0
	for j := i; j+1 < len(q); j++ {
		switch q[j : j+2] {
		case "/*":
			if depth == 0 || nested {
				depth++
			}
			j++
		case "*/":
			depth--
			j++
			if depth == 0 {
				return j + 1, "", nil
			}
		}
	}
	return 0, "", errUnterminated
}

// scanDollar handles '$' in PostgreSQL: a parameter $N, or a dollar-quoted
// string $tag$ … $tag$. (Inside an identifier '$' never reaches here: the
// identifier is consumed whole.)
func scanDollar(q string, i int) (int, string, error) {
	if n := spanOf(q[i+1:], isDigit); n > 0 {
		return i + 1 + n, q[i : i+1+n], nil
	}
	n := 0
	if i+1 < len(q) && !isDigit(q[i+1]) {
		n = spanOf(q[i+1:], isTagChar)
	}
	if i+1+n < len(q) && q[i+1+n] == '$' {
		tag := q[i : i+2+n]
		return skipTo(q, i+len(tag), tag)
	}
	return i + 1, "", nil
}

// isEString reports whether the quote at q[i] opens an E'…' string.
func isEString(q string, i int) bool {
	return i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i < 2 || !isIdent(q[i-2]))
}

func spanOf(s string, ok func(byte) bool) int {
	n := 0
	for n < len(s) && ok(s[n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isTagChar reports whether c may appear in a PostgreSQL dollar-quote tag.
func isTagChar(c byte) bool { return c != '$' && isIdent(c) }

func isIdent(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// placeholders returns the first n bind parameters of dialect d, joined by
// ", ": "?, ?, ?" or "$1, $2, $3".
func placeholders(d Dialect, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		if d == DialectPostgres {
			fmt.Fprintf(&b, "$%d", i)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
