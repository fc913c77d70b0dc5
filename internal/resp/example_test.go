package resp_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/ringcache/ringcache/internal/resp"
)

// A server's connection loop: read commands, write replies into the
// Writer, and flush once the reader has nothing more buffered, so a
// pipelined batch is answered with one write.
func Example() {
	in := strings.NewReader("*1\r\n$4\r\nPING\r\nECHO \"hi\\x21\"\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	var out bytes.Buffer
	r := resp.NewReader(in, resp.DefaultReaderConfig())
	w := resp.NewWriter(&out)
	flushes := 0
	for {
		args, err := r.ReadCommand()
		if err != nil {
			if pe, ok := err.(*resp.ProtocolError); ok {
				w.WriteError(pe.Error())
				_ = w.Flush()
			}
			break
		}
		switch strings.ToUpper(string(args[0])) {
		case "PING":
			w.WriteSimple("PONG")
		case "ECHO":
			w.WriteBulk(args[1])
		default:
			w.WriteNull()
		}
		if r.Buffered() == 0 {
			_ = w.Flush()
			flushes++
		}
	}
	fmt.Printf("%q in %d write\n", out.String(), flushes)
	// Output: "+PONG\r\n$3\r\nhi!\r\n$-1\r\n" in 1 write
}

func ExampleReplyReader() {
	req := resp.AppendCommandStrings(nil, "HELLO", "3")
	fmt.Printf("%q\n", req)
	rr := resp.NewReplyReader(strings.NewReader("%1\r\n+proto\r\n:3\r\n>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n"), resp.DefaultReaderConfig())
	v, _ := rr.Read()
	fmt.Println(v)
	raw, _ := rr.ReadRaw(nil)
	fmt.Printf("%q\n", raw)
	_, err := rr.Read()
	fmt.Println(err == io.EOF)
	// Output:
	// "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
	// %{+proto::3}
	// ">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n"
	// true
}
