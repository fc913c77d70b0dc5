package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The invalidation connection needs only a sliver of RESP3: commands out,
// pushes, arrays, bulk and simple strings, nulls and maps in. Sizes are
// bounded so a misbehaving server cannot make the client allocate without
// limit.
const (
	maxWireBulk  = 64 << 20
	maxWireElems = 1 << 20
	maxWireDepth = 8
)

type wireValue struct {
	kind  byte
	str   []byte
	elems []wireValue
	null  bool
}

func encodeCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

var errWire = errors.New("ringcache: malformed RESP from server")

func readValue(br *bufio.Reader) (wireValue, error) { return readValueDepth(br, 0) }

func readValueDepth(br *bufio.Reader, depth int) (wireValue, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return wireValue{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' || depth > maxWireDepth {
		return wireValue{}, errWire
	}
	v := wireValue{kind: line[0]}
	body := line[1 : len(line)-2]
	switch v.kind {
	case '+', '-', ':', ',', '#', '(':
		v.str = append([]byte(nil), body...)
	case '_':
		v.null = true
	case '$', '=', '!':
		return readBulk(br, v, body)
	case '*', '>', '~', '%', '|':
		return readAggregate(br, v, body, depth)
	default:
		return v, fmt.Errorf("%w: type %q", errWire, v.kind)
	}
	return v, nil
}

func readBulk(br *bufio.Reader, v wireValue, body []byte) (wireValue, error) {
	n, err := strconv.Atoi(string(body))
	if err != nil || n > maxWireBulk {
		return v, errWire
	}
	if n < 0 {
		v.null = true
		return v, nil
	}
	v.str = make([]byte, n+2)
	if _, err := io.ReadFull(br, v.str); err != nil {
		return v, err
	}
	v.str = v.str[:n]
	return v, nil
}

func readAggregate(br *bufio.Reader, v wireValue, body []byte, depth int) (wireValue, error) {
	n, err := strconv.Atoi(string(body))
	if err != nil || n > maxWireElems {
		return v, errWire
	}
	if n < 0 {
		v.null = true
		return v, nil
	}
	if v.kind == '%' || v.kind == '|' {
		n *= 2
	}
	for range n {
		e, err := readValueDepth(br, depth+1)
		if err != nil {
			return v, err
		}
		v.elems = append(v.elems, e)
	}
	if v.kind == '|' { // attributes precede the real value
		return readValueDepth(br, depth)
	}
	return v, nil
}
