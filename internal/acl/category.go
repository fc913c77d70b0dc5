package acl

import "strings"

// Categories is a set of ACL command categories, one bit each.
type Categories uint32

// The categories, in Redis's order (ACL CAT, COMMAND INFO).
const (
	Keyspace Categories = 1 << iota
	Read
	Write
	Set
	SortedSet
	List
	Hash
	String
	Bitmap
	HyperLogLog
	Geo
	Stream
	PubSub
	Admin
	Fast
	Slow
	Blocking
	Dangerous
	Connection
	Transaction
	Scripting
)

var categoryNames = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting"}

// CategoryNames returns every category name (without '@'), in order.
func CategoryNames() []string { return append([]string(nil), categoryNames...) }

// ParseCategory returns the category named name (without '@', any case).
func ParseCategory(name string) (Categories, bool) {
	for i, n := range categoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// Names returns the names of the categories in c, each prefixed with '@',
// in Redis's order.
func (c Categories) Names() []string {
	var out []string
	for i, n := range categoryNames {
		if c&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}
