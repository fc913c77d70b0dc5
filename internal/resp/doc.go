// Package resp is ringcache's RESP2/RESP3 codec, for both sides of a
// connection. On the server side a Reader turns the bytes a client sends into
// commands: RESP multibulk requests (`*N` then N `$len` bulk strings) and
// inline telnet-style lines (split with Redis's sdssplitargs quoting rules),
// many per read when the client pipelines. Arguments are zero-copy slices of
// one reusable buffer (16 KiB by default) that grows only while a large
// argument arrives, never by more than what has actually arrived, and shrinks
// back afterwards; every length header is checked against the configured
// limits before any body is read, and malformed input yields a ProtocolError
// whose text is exactly Redis 7.0's, so the server writes it and closes the
// connection as Redis does. A Writer appends replies (RESP2 or RESP3, chosen by
// SetProtocol after HELLO) to a buffer that reaches the socket only on Flush,
// so a pipelined batch is answered with one write. On the client side
// AppendCommand encodes requests and a ReplyReader reads replies, either as
// raw bytes of exactly one reply (for forwarding) or as a Value tree (tests),
// under the same limits. Nothing in this package starts goroutines or keeps
// global state; a Reader, Writer or ReplyReader is used by one goroutine at a
// time.
package resp
