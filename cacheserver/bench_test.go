package cacheserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// BenchmarkServerTCP drives the whole server over loopback TCP: conns
// clients each send pipelines of depth GETs (like redis-benchmark -P) and
// read the replies. One op is one command.
func BenchmarkServerTCP(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("conns=8/P=%d", depth), func(b *testing.B) {
			srv := startServer(b, testConfig())
			c := dialRaw(b, srv)
			c.do("SET", "key:1", "xxx")
			batch := []byte(strings.Repeat("*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n", depth))
			benchClients(b, srv, batch, len("$3\r\nxxx\r\n")*depth, depth)
		})
	}
}

// benchClients runs b.N commands as pipelines of depth (batch, answered
// by reply bytes) from 8 connections at once.
func benchClients(b *testing.B, srv *Server, batch []byte, reply, depth int) {
	const conns = 8
	per := b.N/(conns*depth) + 1
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			benchClient(b, srv.Addr().String(), batch, reply, per)
		}()
	}
	wg.Wait()
}

func benchClient(b *testing.B, addr string, batch []byte, reply, n int) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Error(err)
		return
	}
	defer nc.Close()
	rd := bufio.NewReaderSize(nc, 64<<10)
	buf := make([]byte, reply)
	for range n {
		if _, err := nc.Write(batch); err != nil {
			b.Error(err)
			return
		}
		if _, err := io.ReadFull(rd, buf); err != nil {
			b.Error(err)
			return
		}
	}
}
