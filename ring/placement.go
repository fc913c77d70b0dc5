package ring

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// Partition placement: consistent hashing with bounded loads, exactly as
// buraksezer/consistent's New and GetPartitionOwner place partitions (its
// tests in placement_oracle_test.go compare the two on random member sets), over
// slices instead of maps of interfaces: the replica table builds one
// placement per alternative ring on every ring change (successors.go), and
// consistent took ~10-20 ms per placement at 3-10 members (more under
// -race).

// errNoRoom is consistent's "not enough room to distribute partitions".
var errNoRoom = errors.New("ring: placement failed: not enough room to distribute partitions")

// vnode is one point of the hash circle: its hash and its member's index.
type vnode struct {
	h   uint64
	idx uint16
}

// partPositions are the circle positions of the partitions.
type partPositions struct {
	hash  []uint64 // per partition: the xxhash of its number as 8 little-endian bytes
	order []int32  // partitions by hash, or nil (sorted once for many placements)
}

// partitionHashes returns the positions of n partitions, sorted by hash
// too when sorted (worth it for several placements of the same partitions).
func partitionHashes(n int, sorted bool) partPositions {
	pp := partPositions{hash: make([]uint64, n)}
	var bs [8]byte
	for p := range pp.hash {
		binary.LittleEndian.PutUint64(bs[:], uint64(p))
		pp.hash[p] = xxhash.Sum64(bs[:])
	}
	if sorted {
		pp.order = make([]int32, n)
		for p := range pp.order {
			pp.order[p] = int32(p)
		}
		slices.SortFunc(pp.order, func(a, b int32) int { return cmp.Compare(pp.hash[a], pp.hash[b]) })
	}
	return pp
}

// starts returns, per partition, the first point at or after its position
// (len(pts) past the last point).
func (pp partPositions) starts(pts []vnode) []int32 {
	st := make([]int32, len(pp.hash))
	if pp.order == nil {
		for p, key := range pp.hash {
			st[p] = int32(sort.Search(len(pts), func(i int) bool { return pts[i].h >= key }))
		}
		return st
	}
	j := 0
	for _, p := range pp.order {
		for j < len(pts) && pts[j].h < pp.hash[p] {
			j++
		}
		st[p] = int32(j)
	}
	return st
}

// placePartitions returns each partition's owner, an index into keys (the
// members' circle keys, in the order consistent would add them), for the
// partition positions ph. consistent gives a point two members share to
// the member added last; so does this.
func placePartitions(cfg Config, keys []string, pp partPositions) ([]uint16, error) {
	pts := make([]vnode, 0, len(keys)*cfg.VirtualNodes)
	buf := make([]byte, 0, 64)
	for i, k := range keys {
		for v := range cfg.VirtualNodes {
			buf = strconv.AppendInt(append(buf[:0], k...), int64(v), 10)
			pts = append(pts, vnode{xxhash.Sum64(buf), uint16(i)})
		}
	}
	slices.SortFunc(pts, func(a, b vnode) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return int(a.idx) - int(b.idx)
	})
	for i := len(pts) - 2; i >= 0; i-- { // shared points: the last added wins
		if pts[i].h == pts[i+1].h {
			pts[i].idx = pts[i+1].idx
		}
	}
	avg := math.Ceil(float64(len(pp.hash)/len(keys)) * cfg.Load)
	loads := make([]float64, len(keys))
	owners := make([]uint16, len(pp.hash))
	for p, start := range pp.starts(pts) {
		i := int(start)
		for count := 1; ; count++ {
			if count >= len(pts) {
				return nil, errNoRoom
			}
			if i >= len(pts) {
				i = 0
			}
			if m := pts[i].idx; loads[m]+1 <= avg {
				owners[p] = m
				loads[m]++
				break
			}
			i++
		}
	}
	return owners, nil
}
