package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// chunkReader serves data in the chunk sizes it is given, cycling.
type chunkReader struct {
	data   []byte
	sizes  []int
	served int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), c.sizes[c.served%len(c.sizes)])
	c.served++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// TestCommandRoundTrip: random commands, encoded by AppendCommand and
// served in random chunks, parse back to the same arguments.
func TestCommandRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cmds := rapid.SliceOfN(rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 40000), 1, 6), 1, 8).Draw(t, "cmds")
		// One argument of any size up to 200 KB, beyond the 16 KiB buffer.
		big := bytes.Repeat([]byte{'b'}, rapid.IntRange(0, 200_000).Draw(t, "big"))
		cmds = append(cmds, [][]byte{[]byte("SET"), big})
		var in []byte
		for _, c := range cmds {
			in = AppendCommand(in, c...)
		}
		sizes := rapid.SliceOfN(rapid.IntRange(1, 70000), 1, 5).Draw(t, "chunks")
		r := NewReader(&chunkReader{data: in, sizes: sizes}, DefaultReaderConfig())
		for i, want := range cmds {
			got, err := r.ReadCommand()
			if err != nil {
				t.Fatalf("command %d: %v", i, err)
			}
			if len(got) != len(want) {
				t.Fatalf("command %d: %d args, want %d", i, len(got), len(want))
			}
			for j := range want {
				if !bytes.Equal(got[j], want[j]) {
					t.Fatalf("command %d arg %d differs", i, j)
				}
			}
		}
		if _, err := r.ReadCommand(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last command: %v", err)
		}
	})
}

// genValue draws a RESP3 reply tree.
func genValue(depth int) *rapid.Generator[Value] {
	return rapid.Custom(func(t *rapid.T) Value {
		kinds := "+-:$_,#!=(*%~>"
		if depth >= 3 {
			kinds = "+-:$_,#!=("
		}
		typ := rapid.SampledFrom([]byte(kinds)).Draw(t, "type")
		v := Value{Type: typ}
		text := func() []byte { return []byte(rapid.StringMatching(`[a-zA-Z0-9 ]{0,20}`).Draw(t, "text")) }
		switch typ {
		case '+', '-':
			v.Str = text()
		case '$', '!':
			v.Str = rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "bytes")
		case '=':
			v.Str, v.Format = rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "bytes"), "txt"
		case ':':
			v.Int = rapid.Int64().Draw(t, "int")
		case '(':
			v.Str = []byte(strconv.FormatUint(rapid.Uint64().Draw(t, "big"), 10) + "0000")
		case '_':
			v.Null = true
		case '#':
			v.Int = int64(rapid.IntRange(0, 1).Draw(t, "bool"))
		case ',':
			v.Float = rapid.Float64().Draw(t, "float")
			v.Str = AppendDouble(nil, v.Float)
			v.Float, _ = parseDouble(v.Str)
		default:
			n := rapid.IntRange(0, 4).Draw(t, "n")
			if typ == '%' {
				n *= 2
			}
			v.Elems = make([]Value, n)
			for i := range v.Elems {
				v.Elems[i] = genValue(depth+1).Draw(t, "elem")
			}
		}
		return v
	})
}

// writeValue writes v with the Writer method for its type.
func writeValue(w *Writer, v Value) {
	switch v.Type {
	case '+':
		w.WriteSimple(string(v.Str))
	case '-':
		w.WriteError(string(v.Str))
	case '!':
		w.buf = appendHeader(w.buf, '!', int64(len(v.Str)))
		w.buf = append(append(w.buf, v.Str...), '\r', '\n')
	case '$':
		w.WriteBulk(v.Str)
	case '=':
		w.WriteVerbatim(v.Format, string(v.Str))
	case ':':
		w.WriteInt(v.Int)
	case '(':
		w.WriteBigNumber(string(v.Str))
	case '_':
		w.WriteNull()
	case '#':
		w.WriteBool(v.Int == 1)
	case ',':
		w.WriteDouble(v.Float)
	case '*', '~', '>', '%':
		writeAggregate(w, v)
	}
}

func writeAggregate(w *Writer, v Value) {
	switch v.Type {
	case '*':
		w.WriteArray(len(v.Elems))
	case '~':
		w.WriteSet(len(v.Elems))
	case '>':
		w.WritePush(len(v.Elems))
	case '%':
		w.WriteMap(len(v.Elems) / 2)
	}
	for _, e := range v.Elems {
		writeValue(w, e)
	}
}

// TestReplyRoundTrip: random RESP3 reply trees written by Writer read back
// identically with Read (RESP3) and as exactly their bytes with ReadRaw
// (both protocols), whatever the chunking.
func TestReplyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vals := rapid.SliceOfN(genValue(0), 1, 5).Draw(t, "values")
		sizes := rapid.SliceOfN(rapid.IntRange(1, 64), 1, 4).Draw(t, "chunks")
		for _, proto := range []int{2, 3} {
			var out bytes.Buffer
			w := NewWriter(&out)
			w.SetProtocol(proto)
			var ends []int
			for _, v := range vals {
				writeValue(w, v)
				ends = append(ends, w.Buffered())
			}
			_ = w.Flush()
			all := out.Bytes()
			raw := NewReplyReader(&chunkReader{data: all, sizes: sizes}, DefaultReaderConfig())
			tree := NewReplyReader(&chunkReader{data: all, sizes: sizes}, DefaultReaderConfig())
			start := 0
			for i, v := range vals {
				got, err := raw.ReadRaw(nil)
				if err != nil || !bytes.Equal(got, all[start:ends[i]]) {
					t.Fatalf("RESP%d ReadRaw %d: %q, %v; want %q", proto, i, got, err, all[start:ends[i]])
				}
				start = ends[i]
				gv, err := tree.Read()
				if err != nil {
					t.Fatalf("RESP%d Read %d: %v", proto, i, err)
				}
				if proto == 3 && gv.String() != v.String() {
					t.Fatalf("Read %d: %s, want %s", i, gv, v)
				}
			}
			if _, err := raw.ReadRaw(nil); !errors.Is(err, io.EOF) {
				t.Fatalf("RESP%d after the last reply: %v", proto, err)
			}
		}
	})
}

func TestDoubleNaNRoundTrip(t *testing.T) {
	rr := NewReplyReader(bytes.NewReader([]byte(",nan\r\n,-inf\r\n")), DefaultReaderConfig())
	v, err := rr.Read()
	if err != nil || !math.IsNaN(v.Float) {
		t.Fatalf("%v %v", v, err)
	}
	if v, err = rr.Read(); err != nil || !math.IsInf(v.Float, -1) {
		t.Fatalf("%v %v", v, err)
	}
}
