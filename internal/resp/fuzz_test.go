package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzConfig keeps the limits small so that the fuzzer reaches them.
func fuzzConfig() ReaderConfig {
	cfg := DefaultReaderConfig()
	cfg.MaxInlineLen = 256
	cfg.MaxBulkLen = 4096
	cfg.MaxQueryBuffer = 1 << 20
	return cfg
}

// parseAll is readAll keeping the arguments, with the reader's largest
// buffer.
func parseAll(src io.Reader, cfg ReaderConfig) (cmds [][][]byte, maxBuf int, err error) {
	r := NewReader(src, cfg)
	for {
		args, err := r.ReadCommand()
		maxBuf = max(maxBuf, cap(r.in.buf))
		if err != nil {
			return cmds, maxBuf, err
		}
		cp := make([][]byte, len(args))
		for i, a := range args {
			cp[i] = bytes.Clone(a)
		}
		cmds = append(cmds, cp)
	}
}

// FuzzReader: any input parses without panicking, within bounded memory,
// the same when fed one byte at a time; every command parsed re-encodes
// with AppendCommand and parses back identically.
func FuzzReader(f *testing.F) {
	for _, tc := range readerCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range inlineCases {
		f.Add([]byte("ECHO " + tc.in + "\r\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := fuzzConfig()
		cmds, maxBuf, err := parseAll(bytes.NewReader(data), cfg)
		if limit := max(defaultBufSize, 2*len(data)); maxBuf > limit {
			t.Fatalf("buffer %d for %d input bytes", maxBuf, len(data))
		}
		cmds1, _, err1 := parseAll(oneByteReader{bytes.NewReader(data)}, cfg)
		if render3(cmds1) != render3(cmds) || errText(err1) != errText(err) {
			t.Fatalf("one byte at a time: %q %s, whole: %q %s", cmds1, errText(err1), cmds, errText(err))
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !IsProtocolError(err) {
			t.Fatalf("unexpected error %v", err)
		}
		var again []byte
		for _, c := range cmds {
			again = AppendCommand(again, c...)
		}
		cmds2, _, err2 := parseAll(bytes.NewReader(again), DefaultReaderConfig())
		if render3(cmds2) != render3(cmds) || !errors.Is(err2, io.EOF) {
			t.Fatalf("re-encoded: %q %v, first %q", cmds2, err2, cmds)
		}
	})
}

func render3(cmds [][][]byte) string {
	var b strings.Builder
	for _, c := range cmds {
		b.WriteString(render(c))
		b.WriteByte(0)
	}
	return b.String()
}

// FuzzReplyReader: any input reads without panicking within bounded
// memory; a reply ReadRaw accepts is the exact prefix Read consumes, and it
// reads back as the same Value on its own.
func FuzzReplyReader(f *testing.F) {
	for _, tc := range writerCases {
		for _, proto := range []int{2, 3} {
			var out bytes.Buffer
			w := NewWriter(&out)
			w.SetProtocol(proto)
			tc.write(w)
			_ = w.Flush()
			f.Add(out.Bytes())
		}
	}
	f.Add([]byte("|1\r\n+ttl\r\n:3\r\n>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n"))
	f.Add([]byte("%1\r\n=7\r\ntxt:a b\r\n~1\r\n!3\r\nERR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := fuzzConfig()
		rr := NewReplyReader(bytes.NewReader(data), cfg)
		raw, err := rr.ReadRaw(nil)
		if c := cap(rr.in.buf); c > max(defaultBufSize, 2*len(data)) {
			t.Fatalf("buffer %d for %d input bytes", c, len(data))
		}
		tr := NewReplyReader(bytes.NewReader(data), cfg)
		v, verr := tr.Read()
		if err != nil {
			if verr == nil {
				t.Fatalf("Read accepted %s, ReadRaw said %v", v, err)
			}
			return
		}
		if !bytes.HasPrefix(data, raw) {
			t.Fatalf("ReadRaw %q is not a prefix of the input", raw)
		}
		if verr != nil {
			if strings.Contains(verr.Error(), "nested too deeply") {
				return
			}
			t.Fatalf("ReadRaw accepted %q, Read said %v", raw, verr)
		}
		if tr.Buffered() != rr.Buffered() {
			t.Fatalf("Read left %d bytes, ReadRaw %d", tr.Buffered(), rr.Buffered())
		}
		v2, err := NewReplyReader(bytes.NewReader(raw), cfg).Read()
		if err != nil || v2.String() != v.String() {
			t.Fatalf("raw reply reads as %s, %v; want %s", v2, err, v)
		}
	})
}
