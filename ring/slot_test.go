package ring

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/redistest"
)

var slotVectors = map[string]int{
	"123456789":            12739,
	"foo":                  12182,
	"{user1000}.following": 3443,
	"{user1000}.followers": 3443,
	"foo{}{bar}":           8363,
	"foo{{bar}}zap":        4015,
	"foo{bar}{zap}":        5061,
	"":                     0,
}

func TestKeySlotVectors(t *testing.T) {
	for key, want := range slotVectors {
		if got := KeySlot(key); got != want {
			t.Errorf("KeySlot(%q) = %d, want %d", key, got, want)
		}
		if got := KeySlotBytes([]byte(key)); got != want {
			t.Errorf("KeySlotBytes(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestKeySlotAllocs(t *testing.T) {
	key, bkey := "{user1000}.following", []byte("key:000000012345")
	if n := testing.AllocsPerRun(1000, func() { _ = KeySlot(key); _ = KeySlotBytes(bkey) }); n != 0 {
		t.Fatalf("KeySlot allocates %v times per call", n)
	}
}

// refKeySlot is a direct transcription of Redis's keyHashSlot with a
// bit-by-bit CRC16, the reference for the table-driven implementation.
func refKeySlot(key []byte) int {
	s := -1
	for i, c := range key {
		if c == '{' {
			s = i
			break
		}
	}
	if s >= 0 {
		for e := s + 1; e < len(key); e++ {
			if key[e] == '}' {
				if e > s+1 {
					key = key[s+1 : e]
				}
				break
			}
		}
	}
	var crc uint16
	for _, b := range key {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc & 0x3fff)
}

func FuzzKeySlot(f *testing.F) {
	for key := range slotVectors {
		f.Add([]byte(key))
	}
	f.Add([]byte("{"))
	f.Add([]byte("}{a}"))
	f.Add([]byte("\xff{\x00}"))
	f.Fuzz(func(t *testing.T, key []byte) {
		want := refKeySlot(key)
		if got := KeySlotBytes(key); got != want {
			t.Fatalf("KeySlotBytes(%q) = %d, want %d", key, got, want)
		}
		if got := KeySlot(string(key)); got != want {
			t.Fatalf("KeySlot(%q) = %d, want %d", key, got, want)
		}
	})
}

// randomKey makes keys of the kinds that matter: binary, hash tags in odd
// places, unicode.
func randomKey(rng *rand.Rand) []byte {
	pieces := []string{"{", "}", "{}", "user", "ü", "日本", "\x00", "\xff", "\r\n", " ", "tag", "{x}", "}{"}
	var b []byte
	pieceCount := 8
	if rng.IntN(4) == 0 {
		pieceCount = 60 // long keys: the 8-byte CRC loop
	}
	for n := rng.IntN(pieceCount); n >= 0; n-- {
		if rng.IntN(3) == 0 {
			b = append(b, byte(rng.IntN(256)))
		} else {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
	}
	return b
}

// writeCommand encodes args as a RESP array of bulk strings (binary-safe).
func writeCommand(w *bufio.Writer, args ...[]byte) {
	fmt.Fprintf(w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(w, "$%d\r\n", len(a))
		w.Write(a)
		w.WriteString("\r\n")
	}
}

// readInteger decodes one RESP integer reply; an error reply is an error.
func readInteger(r *bufio.Reader) (int, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if !strings.HasPrefix(line, ":") {
		return 0, fmt.Errorf("not an integer reply: %q", line)
	}
	return strconv.Atoi(line[1:])
}

// TestKeySlotMatchesRedis asks a real redis-server in cluster mode for the
// slot of 10,000 random keys, pipelined on one connection.
func TestKeySlotMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	srv := redistest.StartServer(t, "--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf")
	conn, err := net.DialTimeout("tcp", srv.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))

	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([][]byte, 10000)
	w := bufio.NewWriter(conn)
	for i := range keys {
		keys[i] = randomKey(rng)
		writeCommand(w, []byte("CLUSTER"), []byte("KEYSLOT"), keys[i])
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for i, key := range keys {
		want, err := readInteger(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if got := KeySlotBytes(key); got != want {
			t.Errorf("KeySlot(%q) = %d, redis says %d", key, got, want)
		}
	}
}

func BenchmarkKeySlot(b *testing.B) {
	for _, key := range []string{"key:000000012345", "{user1000}.following", "object:" + strings.Repeat("x", 57)} {
		b.Run(fmt.Sprintf("len=%d", len(key)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = KeySlot(key)
			}
		})
	}
}
