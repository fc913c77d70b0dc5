package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
)

// Validation errors returned (wrapped) by Build and Config.Validate.
var (
	ErrNoMembers       = errors.New("ring: no members")
	ErrDuplicateMember = errors.New("ring: duplicate member name")
	ErrEmptyName       = errors.New("ring: empty member name")
	ErrPartitionCount  = errors.New("ring: partition count must be a power of two between 1 and 16384")
	ErrLoad            = errors.New("ring: load must be a finite number >= 1")
	ErrVirtualNodes    = errors.New("ring: virtual nodes per member must be between 2 and 1024")
	ErrReplicas        = errors.New("ring: replica count must be between 1 and the number of members")
	ErrReplicaCount    = errors.New("ring: Config.Replicas must be between 0 and 8")
	ErrTooManyMembers  = errors.New("ring: not enough room to distribute partitions (too many members for the partition count and load)")
	ErrSlot            = errors.New("ring: slot out of range")
)

// Config fixes how slots are placed. Every node of a cluster must use the
// same Config (compare Digest values); the zero value is not valid, start
// from DefaultConfig.
type Config struct {
	// Partitions is the number of partitions the 16384 slots are grouped
	// into: a power of two from 1 to 16384. Each partition is a contiguous
	// block of 16384/Partitions slots. Default 16384: one slot per
	// partition (see docs/ARCHITECTURE.md for the measurements).
	Partitions int
	// VirtualNodes is the number of points each member has on the hash
	// circle (consistent's ReplicationFactor), from 2 to 1024. Default 64.
	VirtualNodes int
	// Load bounds the partitions a member holds to Load times the average.
	// Must be >= 1. Default 1.25.
	Load float64
	// Replicas is how many copies of each slot exist besides the owner's,
	// each on a distinct member (fewer while the cluster is smaller), from
	// 0 to 8. Default 0 (replication is opt-in). ReplicaSet names them.
	Replicas int
}

// MaxReplicas bounds Config.Replicas.
const MaxReplicas = 8

// DefaultConfig returns the placement configuration chosen by measurement.
func DefaultConfig() Config {
	return Config{Partitions: SlotCount, VirtualNodes: 64, Load: 1.25, Replicas: 0}
}

// Validate reports whether c can place slots (independently of members).
func (c Config) Validate() error {
	p := c.Partitions
	if p < 1 || p > SlotCount || p&(p-1) != 0 {
		return fmt.Errorf("%w: got %d", ErrPartitionCount, p)
	}
	if c.VirtualNodes < 2 || c.VirtualNodes > 1024 {
		return fmt.Errorf("%w: got %d", ErrVirtualNodes, c.VirtualNodes)
	}
	if math.IsNaN(c.Load) || math.IsInf(c.Load, 0) || c.Load < 1 {
		return fmt.Errorf("%w: got %v", ErrLoad, c.Load)
	}
	if c.Replicas < 0 || c.Replicas > MaxReplicas {
		return fmt.Errorf("%w: got %d", ErrReplicaCount, c.Replicas)
	}
	return nil
}

// Digest is a stable fingerprint of the configuration. Nodes advertise it so
// that a node configured differently is refused instead of silently
// disagreeing about placement.
func (c Config) Digest() uint64 {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(c.Partitions))
	binary.LittleEndian.PutUint64(b[8:], uint64(c.VirtualNodes))
	binary.LittleEndian.PutUint64(b[16:], math.Float64bits(c.Load))
	binary.LittleEndian.PutUint64(b[24:], uint64(c.Replicas))
	return xxhash.Sum64(b[:])
}

// slotsPerPartition is the width of one partition in slots.
func (c Config) slotsPerPartition() int { return SlotCount / c.Partitions }
