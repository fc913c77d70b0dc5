package resp

import "bytes"

// splitArgs splits an inline command line with the rules of Redis's
// sdssplitargs, appending the arguments to args. It unescapes in place (an
// argument never grows), so the arguments alias line. The line ends at its
// first NUL byte, as the C string Redis parses does.
//
//   - Arguments are separated by spaces (isspace).
//   - "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes; any
//     other escaped byte stands for itself.
//   - 'single quotes' take only \' as an escape.
//   - A closing quote must be followed by a space or the end of the line,
//     and a quote must be closed: otherwise "unbalanced quotes in request".
func splitArgs(args [][]byte, line []byte) ([][]byte, error) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return args, nil
		}
		start := p
		end, next, ok := splitToken(line, p)
		if !ok {
			return args, protoErr(MsgUnbalancedQuotes)
		}
		args = append(args, line[start:end:end])
		p = next
	}
}

// splitToken parses the token starting at p, writing its bytes back from p
// onwards. It returns where the written token ends and where parsing goes on.
func splitToken(line []byte, p int) (end, next int, ok bool) {
	s := splitter{line: line, p: p, w: p}
	var quote byte // 0, '"' or '\''
	for done := false; !done; {
		switch quote {
		case '"':
			done, ok = s.doubleQuoted()
		case '\'':
			done, ok = s.singleQuoted()
		default:
			done, quote, ok = s.unquoted()
		}
		if !ok {
			return 0, 0, false
		}
		if s.p < len(line) {
			s.p++
		}
	}
	return s.w, s.p, true
}

// splitter is sdssplitargs's cursor: p reads, w writes (w <= p always, as
// no escape is shorter than the byte it stands for).
type splitter struct {
	line []byte
	p, w int
}

// at is the byte at i, or 0 past the end (the C string's terminator).
func (s *splitter) at(i int) byte {
	if i < len(s.line) {
		return s.line[i]
	}
	return 0
}

func (s *splitter) put(c byte) {
	s.line[s.w] = c
	s.w++
}

// closing reports whether the quote at p may close: it must be followed by
// a space or the end of the line.
func (s *splitter) closing() bool {
	n := s.at(s.p + 1)
	return n == 0 || isSpace(n)
}

func (s *splitter) unquoted() (done bool, quote byte, ok bool) {
	switch c := s.at(s.p); c {
	case ' ', '\n', '\r', '\t', 0:
		return true, 0, true
	case '"', '\'':
		return false, c, true
	default:
		s.put(c)
		return false, 0, true
	}
}

func (s *splitter) doubleQuoted() (done, ok bool) {
	c := s.at(s.p)
	switch {
	case c == '\\' && s.at(s.p+1) == 'x' && isHex(s.at(s.p+2)) && isHex(s.at(s.p+3)):
		s.put(unhex(s.at(s.p+2))<<4 | unhex(s.at(s.p+3)))
		s.p += 3
	case c == '\\' && s.at(s.p+1) != 0:
		s.p++
		s.put(unescape(s.line[s.p]))
	case c == '"':
		return true, s.closing()
	case c == 0:
		return false, false
	default:
		s.put(c)
	}
	return false, true
}

func (s *splitter) singleQuoted() (done, ok bool) {
	c := s.at(s.p)
	switch {
	case c == '\\' && s.at(s.p+1) == '\'':
		s.p++
		s.put('\'')
	case c == '\'':
		return true, s.closing()
	case c == 0:
		return false, false
	default:
		s.put(c)
	}
	return false, true
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
