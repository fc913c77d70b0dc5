package resp

import (
	"bytes"

	"github.com/ringcache/ringcache/internal/rstrconv"
)

// Read reads one reply and returns it parsed; attributes ('|') are attached
// to the reply that follows them. Strings are copies, so the Value stays
// valid after the next read. Aggregates nested deeper than 512 levels are a
// protocol error.
func (r *ReplyReader) Read() (Value, error) {
	if r.err != nil {
		return Value{}, r.err
	}
	v, err := r.readValue(0)
	if err != nil {
		r.err = err
	}
	return v, err
}

func (r *ReplyReader) readValue(depth int) (Value, error) {
	if depth > maxReplyDepth {
		return Value{}, protoErr("reply nested too deeply")
	}
	line, err := r.readLine(depth > 0)
	if err != nil {
		return Value{}, err
	}
	n, err := r.checkHeader(line)
	if err != nil {
		return Value{}, err
	}
	typ := line[0]
	switch {
	case typ == '|':
		return r.readAttributed(n, depth)
	case isAggregate(typ):
		return r.readAggregate(typ, n, depth)
	case isBlob(typ):
		return r.readBlob(typ, n)
	}
	return simpleValue(typ, line[1:]), nil
}

func simpleValue(typ byte, body []byte) Value {
	v := Value{Type: typ}
	switch typ {
	case ':':
		v.Int, _ = rstrconv.ParseInt(body)
	case '_':
		v.Null = true
	case '#':
		if body[0] == 't' {
			v.Int = 1
		}
	case ',':
		v.Float, _ = parseDouble(body)
		v.Str = append([]byte{}, body...)
	default:
		v.Str = append([]byte{}, body...)
	}
	return v
}

func (r *ReplyReader) readAttributed(n int64, depth int) (Value, error) {
	attrs, err := r.readElems(2*n, depth)
	if err != nil {
		return Value{}, err
	}
	v, err := r.readValue(depth + 1)
	if err != nil {
		return Value{}, err
	}
	v.Attrs = append(attrs, v.Attrs...)
	return v, nil
}

func (r *ReplyReader) readAggregate(typ byte, n int64, depth int) (Value, error) {
	if n < 0 {
		return Value{Type: typ, Null: true}, nil
	}
	if typ == '%' {
		n *= 2
	}
	elems, err := r.readElems(n, depth)
	return Value{Type: typ, Elems: elems}, err
}

// readElems reads n values; the slice grows with the values that arrive,
// never preallocating more than 1024 whatever n says.
func (r *ReplyReader) readElems(n int64, depth int) ([]Value, error) {
	elems := make([]Value, 0, min(n, maxPrealloc))
	for range n {
		e, err := r.readValue(depth + 1)
		if err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	return elems, nil
}

func (r *ReplyReader) readBlob(typ byte, n int64) (Value, error) {
	if n < 0 {
		return Value{Type: typ, Null: true}, nil
	}
	body, err := r.copyBody(make([]byte, 0, min(n+2, defaultBufSize)), n)
	if err != nil {
		return Value{}, err
	}
	v := Value{Type: typ, Str: body[:n:n]}
	if typ == '=' {
		v.Format = string(v.Str[:3])
		if v.Str[3] != ':' {
			return Value{}, protoErr("invalid verbatim string")
		}
		v.Str = bytes.Clone(v.Str[4:])
	}
	return v, nil
}
