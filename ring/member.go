package ring

import (
	"encoding/binary"
	"sort"

	"github.com/cespare/xxhash/v2"
)

// Member is one node of the ring.
type Member struct {
	// Name identifies the member uniquely and decides its place on the
	// hash circle. It must not be empty.
	Name string
	// Addr is the address clients reach the member at ("host:port").
	Addr string
	// Zone is the failure domain; replicas prefer distinct zones.
	Zone string
	// Meta holds further metadata (version, admin address, ...). It is part
	// of the epoch digest but does not affect placement.
	Meta map[string]string
}

// String returns the member's name.
func (m Member) String() string { return m.Name }

// digest feeds a canonical encoding of the member into h.
func (m Member) digest(h *xxhash.Digest) {
	writeField(h, m.Name)
	writeField(h, m.Addr)
	writeField(h, m.Zone)
	keys := make([]string, 0, len(m.Meta))
	for k := range m.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	writeCount(h, len(keys))
	for _, k := range keys {
		writeField(h, k)
		writeField(h, m.Meta[k])
	}
}

func writeField(h *xxhash.Digest, s string) {
	writeCount(h, len(s))
	_, _ = h.WriteString(s)
}

func writeCount(h *xxhash.Digest, n int) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	_, _ = h.Write(b[:])
}

// cloneMember copies m, including its Meta map, so a Ring never shares
// mutable state with its caller.
func cloneMember(m Member) Member {
	if m.Meta != nil {
		meta := make(map[string]string, len(m.Meta))
		for k, v := range m.Meta {
			meta[k] = v
		}
		m.Meta = meta
	}
	return m
}
