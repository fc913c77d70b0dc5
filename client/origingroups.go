package client

import (
	"strings"

	"github.com/sony/gobreaker/v2"
)

// Origin breakers per key group (BreakerConfig.OriginGroups). Each prefix
// has a breaker of its own, so one failing group of keys (one table, one
// backend behind a LoaderFunc) opens its breaker without refusing loads of
// the others; keys under no prefix share the "origin" breaker. The set of
// breakers is fixed at New: the number of groups is bounded by the config,
// never by the keys seen.

// originBreakers maps key groups to their breakers.
type originBreakers struct {
	def    *gobreaker.CircuitBreaker[any]
	groups []originGroup // longest prefix first
}

type originGroup struct {
	prefix string
	br     *gobreaker.CircuitBreaker[any]
}

func (c *Client) newOriginBreakers() originBreakers {
	ob := originBreakers{def: c.newBreaker("origin", nil)}
	for _, p := range c.cfg.Breaker.OriginGroups {
		ob.groups = append(ob.groups, originGroup{prefix: p, br: c.newBreaker("origin "+p, nil)})
	}
	// Longest first, so that "user:admin:" wins over "user:".
	for i := 1; i < len(ob.groups); i++ {
		for j := i; j > 0 && len(ob.groups[j].prefix) > len(ob.groups[j-1].prefix); j-- {
			ob.groups[j], ob.groups[j-1] = ob.groups[j-1], ob.groups[j]
		}
	}
	return ob
}

// forKey returns the breaker of key's group.
func (ob *originBreakers) forKey(key string) *gobreaker.CircuitBreaker[any] {
	for _, g := range ob.groups {
		if strings.HasPrefix(key, g.prefix) {
			return g.br
		}
	}
	return ob.def
}

// states returns every origin breaker's state by name.
func (ob *originBreakers) states(into map[string]string) {
	into["origin"] = ob.def.State().String()
	for _, g := range ob.groups {
		into["origin "+g.prefix] = g.br.State().String()
	}
}
