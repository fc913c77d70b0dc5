package ring

import (
	"strconv"
	"strings"
	"sync"
)

// Placements remembers the last partition placements by member set, so a
// ring built again for a member set seen recently (a member failing and
// coming back, a rolling restart), and the replica table's alternative
// placements (successors.go), which are mostly the member sets of earlier
// and later rings, are not computed again. It is safe for concurrent use;
// one belongs to one cluster view (BuildWith), never to the process.
type Placements struct {
	mu    sync.Mutex
	m     map[string][]uint16 // config and circle keys -> owners, indexes into those keys
	order []string            // keys of m, oldest first
}

// placementsMax bounds a Placements: 32 placements of 16384 partitions
// take 1 MB.
const placementsMax = 32

// NewPlacements returns an empty placement cache.
func NewPlacements() *Placements { return &Placements{m: map[string][]uint16{}} }

// BuildWith is Build remembering placements in pc (nil: none); the ring
// uses pc for its replica table too.
func BuildWith(cfg Config, members []Member, pc *Placements) (*Ring, error) {
	return build(cfg, members, pc)
}

// placementKey identifies a placement: the configuration it depends on
// and the circle keys, in order.
func placementKey(cfg Config, keys []string) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(cfg.Partitions))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(cfg.VirtualNodes))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatFloat(cfg.Load, 'g', -1, 64))
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
	}
	return b.String()
}

// place returns the placement of keys (placePartitions), from pc when it
// holds it. The result is shared: callers must not modify it.
func (pc *Placements) place(cfg Config, keys []string, pp func() partPositions) ([]uint16, error) {
	if len(keys) == 1 { // one member holds every partition
		return make([]uint16, cfg.Partitions), nil
	}
	if pc == nil {
		return placePartitions(cfg, keys, pp())
	}
	key := placementKey(cfg, keys)
	pc.mu.Lock()
	owners, ok := pc.m[key]
	pc.mu.Unlock()
	if ok {
		return owners, nil
	}
	owners, err := placePartitions(cfg, keys, pp())
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if _, ok := pc.m[key]; !ok {
		if len(pc.order) == placementsMax {
			delete(pc.m, pc.order[0])
			pc.order = append(pc.order[:0], pc.order[1:]...)
		}
		pc.m[key] = owners
		pc.order = append(pc.order, key)
	}
	return owners, nil
}
