package cacheserver

import (
	"errors"
	"strconv"

	"github.com/ringcache/ringcache/internal/store"
)

// The encoding thresholds of hashes, sets and sorted sets as CONFIG parameters (Redis's
// names, the ziplist ones as aliases), applied to the store at once: a
// value converts to its large encoding when it next changes past them.
func init() {
	field := func(l *store.Limits, name string) *int {
		switch name {
		case "hash-max-listpack-entries", "hash-max-ziplist-entries":
			return &l.HashEntries
		case "hash-max-listpack-value", "hash-max-ziplist-value":
			return &l.HashValue
		case "set-max-intset-entries":
			return &l.SetIntEntries
		case "set-max-listpack-entries":
			return &l.SetEntries
		case "zset-max-listpack-entries", "zset-max-ziplist-entries":
			return &l.ZSetEntries
		case "zset-max-listpack-value", "zset-max-ziplist-value":
			return &l.ZSetValue
		}
		return &l.SetValue
	}
	for _, name := range []string{"hash-max-listpack-entries", "hash-max-ziplist-entries", "hash-max-listpack-value",
		"hash-max-ziplist-value", "set-max-intset-entries", "set-max-listpack-entries", "set-max-listpack-value",
		"zset-max-listpack-entries", "zset-max-ziplist-entries", "zset-max-listpack-value", "zset-max-ziplist-value"} {
		configParams[name] = configParam{
			get: func(s *Server) string {
				l := s.store.Limits()
				return strconv.Itoa(*field(&l, name))
			},
			set: func(s *Server, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 || n > 1<<31-1 {
					return errors.New("argument couldn't be parsed into an integer")
				}
				l := s.store.Limits()
				*field(&l, name) = int(n)
				s.store.SetLimits(l)
				return nil
			}}
	}
}

// list-max-listpack-size (alias list-max-ziplist-size): any int, as Redis
// (< 0 a node's bytes, -1 4 KiB .. -5 64 KiB; > 0 its elements).
func init() {
	for _, name := range []string{"list-max-listpack-size", "list-max-ziplist-size"} {
		configParams[name] = configParam{
			get: func(s *Server) string { return strconv.Itoa(s.store.Limits().ListSize) },
			set: func(s *Server, v string) error {
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil {
					return errors.New("argument couldn't be parsed into an integer")
				}
				l := s.store.Limits()
				l.ListSize = int(n)
				s.store.SetLimits(l)
				return nil
			}}
	}
}
