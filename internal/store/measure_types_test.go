package store_test

import (
	"strconv"
	"testing"

	"github.com/ringcache/ringcache/internal/store"
)

// TestMeasureTypeBytes loads one hash of 1,000,000 fields "field:%d" =
// "value:%d", one set of 1,000,000 members "member:%d", one sorted set
// of 1,000,000 members "member:%d" with score %d and one list of 1,000,000
// elements "element:%d" (RPUSH), and reports, per
// element, the Go heap the store holds after GC and what its accounting
// (UsedMemory, INFO used_memory) says, so the accounting can be checked
// against the heap. (Redis's figures: the same data through redis-cli, see
// docs/store-measurements.md.)
//
//	RINGCACHE_MEASURE=1 go test -count=1 -run 'TestMeasureTypeBytes$' -v ./internal/store/
func TestMeasureTypeBytes(t *testing.T) {
	requireMeasure(t)
	n := int(envInt(t, "RINGCACHE_MEASURE_KEYS", 1_000_000))
	for _, kind := range []string{"hash", "set", "zset", "list"} {
		heap0 := heapObjectsAfterGC()
		s, err := store.New(store.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		used0 := s.UsedMemory()
		var args [][]byte
		var zargs []store.ZEntry
		for i := 0; i < n; i++ {
			if kind == "zset" {
				zargs = append(zargs, store.ZEntry{Member: []byte("member:" + strconv.Itoa(i)), Score: float64(i)})
			} else if kind == "hash" {
				args = append(args, []byte("field:"+strconv.Itoa(i)), []byte("value:"+strconv.Itoa(i)))
			} else if kind == "list" {
				args = append(args, []byte("element:"+strconv.Itoa(i)))
			} else {
				args = append(args, []byte("member:"+strconv.Itoa(i)))
			}
			if len(args) >= 2000 || len(zargs) >= 1000 || i == n-1 {
				switch kind {
				case "zset":
					_, err = s.ZAdd([]byte("big"), store.ZAddOpts{}, zargs)
					zargs = zargs[:0]
				case "hash":
					_, err = s.HSet([]byte("big"), args, false)
				case "list":
					_, err = s.LPush([]byte("big"), args, false, false)
				default:
					_, err = s.SAdd([]byte("big"), args)
				}
				if err != nil {
					t.Fatal(err)
				}
				args = args[:0]
			}
		}
		heap := heapObjectsAfterGC() - heap0
		used := s.UsedMemory() - used0
		t.Logf("%s of %d: heap %.1f B/elem, accounted %.1f B/elem (accounted/heap %.2f)",
			kind, n, float64(heap)/float64(n), float64(used)/float64(n), float64(used)/float64(heap))
		s.Close()
	}
}
