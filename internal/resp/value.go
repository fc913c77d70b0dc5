package resp

import (
	"strconv"
	"strings"
)

// Value is one parsed reply, as ReplyReader.Read returns it.
type Value struct {
	// Type is the RESP type byte: '+' simple string, '-' error, ':'
	// integer, '$' bulk string, '*' array, and in RESP3 '_' null, ','
	// double, '#' boolean, '!' bulk error, '=' verbatim string, '(' big
	// number, '%' map, '~' set, '>' push.
	Type byte
	// Str is the text of '+', '-', '$', '!', '=' (without its format
	// prefix), '(' and ',' replies; never nil for them.
	Str []byte
	// Int is the value of ':' and, as 1 or 0, of '#'.
	Int int64
	// Float is the value of ','.
	Float float64
	// Elems are the elements of '*', '~' and '>', and for '%' the keys and
	// values alternately (2n elements for n pairs).
	Elems []Value
	// Null is true for '_' and for RESP2's "$-1" and "*-1".
	Null bool
	// Format is the three-byte format of a '=' verbatim string, e.g. "txt".
	Format string
	// Attrs are the key/value pairs of a RESP3 attribute ('|') that
	// preceded this reply, alternately; nil when there was none.
	Attrs []Value
}

// IsError reports whether v is an error reply ('-' or '!').
func (v Value) IsError() bool { return v.Type == '-' || v.Type == '!' }

// String renders v on one line for test failures: +OK, -ERR x, :1, "bulk"
// (Go-quoted), (nil), *[a b], %{k:v}, ~[...], >[...], ,1.5, #t, (123,
// =txt:"...", with |{...} before a reply that carried attributes.
func (v Value) String() string {
	var b strings.Builder
	v.render(&b)
	return b.String()
}

func (v Value) render(b *strings.Builder) {
	if v.Attrs != nil {
		b.WriteString("|{")
		renderPairs(b, v.Attrs)
		b.WriteString("} ")
	}
	switch {
	case v.Null && v.Type == '_':
		b.WriteString("_")
	case v.Null:
		b.WriteByte(v.Type)
		b.WriteString("(nil)")
	case v.Type == '$':
		b.WriteString(strconv.Quote(string(v.Str)))
	case v.Type == '!' || v.Type == '=':
		b.WriteByte(v.Type)
		b.WriteString(v.Format)
		if v.Format != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Quote(string(v.Str)))
	case v.Type == ':':
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case v.Type == '#':
		b.WriteString(map[bool]string{true: "#t", false: "#f"}[v.Int != 0])
	case v.Type == '%':
		b.WriteString("%{")
		renderPairs(b, v.Elems)
		b.WriteByte('}')
	case v.Type == '*' || v.Type == '~' || v.Type == '>':
		renderList(b, v.Type, v.Elems)
	default: // + - , (
		b.WriteByte(v.Type)
		b.Write(v.Str)
	}
}

func renderList(b *strings.Builder, typ byte, elems []Value) {
	b.WriteByte(typ)
	b.WriteByte('[')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(' ')
		}
		e.render(b)
	}
	b.WriteByte(']')
}

func renderPairs(b *strings.Builder, elems []Value) {
	for i, e := range elems {
		switch {
		case i%2 == 1:
			b.WriteByte(':')
		case i > 0:
			b.WriteByte(' ')
		}
		e.render(b)
	}
}
