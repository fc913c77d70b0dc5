package resp

import (
	"io"
	"testing"
)

// loopReader serves the same bytes forever, like a client that never
// stops sending the same request.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func benchRead(b *testing.B, batch []byte, perBatch int) {
	r := NewReader(&loopReader{data: batch}, DefaultReaderConfig())
	b.SetBytes(int64(len(batch) / perBatch))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCommand parses "SET key:000042 <16-byte value>" requests.
func BenchmarkReadCommand(b *testing.B) {
	set := AppendCommandStrings(nil, "SET", "key:000042", "0123456789abcdef")
	b.Run("single", func(b *testing.B) {
		// One request per Read call, as from a client waiting for replies.
		r := NewReader(&oneCommandReader{loopReader{data: set}}, DefaultReaderConfig())
		b.SetBytes(int64(len(set)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.ReadCommand(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pipelined", func(b *testing.B) {
		var batch []byte
		for range 100 {
			batch = append(batch, set...)
		}
		benchRead(b, batch, 100)
	})
	b.Run("inline", func(b *testing.B) {
		benchRead(b, []byte("SET key:000042 \"0123456789abcdef\"\r\n"), 1)
	})
}

// oneCommandReader returns at most one command's worth of bytes per Read.
type oneCommandReader struct{ loopReader }

func (o *oneCommandReader) Read(p []byte) (int, error) {
	return o.loopReader.Read(p[:min(len(p), len(o.data))])
}

func BenchmarkWriter(b *testing.B) {
	value := []byte("0123456789abcdef")
	b.Run("bulk", func(b *testing.B) {
		w := NewWriter(io.Discard)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			w.WriteBulk(value)
			if i%100 == 99 {
				_ = w.Flush()
			}
		}
	})
	b.Run("mixed-resp3", func(b *testing.B) {
		w := NewWriter(io.Discard)
		w.SetProtocol(3)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			w.WriteSimple("OK")
			w.WriteInt(int64(i))
			w.WriteMap(1)
			w.WriteBulkString("k")
			w.WriteDouble(1.5)
			w.WriteNull()
			w.WriteBool(true)
			if i%20 == 19 {
				_ = w.Flush()
			}
		}
	})
}

// BenchmarkReplyReaderRaw reads "$16" replies as a forwarder does.
func BenchmarkReplyReaderRaw(b *testing.B) {
	var batch []byte
	for range 100 {
		batch = append(batch, "$16\r\n0123456789abcdef\r\n"...)
	}
	r := NewReplyReader(&loopReader{data: batch}, DefaultReaderConfig())
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = r.ReadRaw(dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
