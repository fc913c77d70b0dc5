package cacheserver

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

// configParam is one CONFIG GET/SET parameter.
type configParam struct {
	get func(s *Server) string
	set func(s *Server, v string) error // nil: read-only (CONFIG SET refuses it)
}

// configParams are the parameters CONFIG knows, by Redis name.
var configParams = map[string]configParam{
	"maxmemory": {
		get: func(s *Server) string { return strconv.FormatInt(s.store.Stats().MaxMemory, 10) },
		set: func(s *Server, v string) error {
			n, err := ParseMemory(v)
			if err != nil {
				return errors.New("argument must be a memory value")
			}
			s.store.SetMaxMemory(n)
			s.evictClients() // clientmem.go: a percentage limit moved
			if f := s.cfg.OnMaxMemory; f != nil {
				f(n)
			}
			return nil
		}},
	"maxmemory-policy": {
		get: func(s *Server) string { return s.store.Stats().Policy.String() },
		set: func(s *Server, v string) error {
			p, err := store.ParsePolicy(v)
			if err != nil {
				return errors.New("argument(s) must be one of the following: volatile-lru, allkeys-lru, " +
					"volatile-lfu, allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction")
			}
			s.store.SetPolicy(p)
			return nil
		}},
	"maxclients": {
		get: func(s *Server) string { return strconv.FormatInt(s.live.maxClients.Load(), 10) },
		set: func(s *Server, v string) error {
			return setPositive(v, 1, &s.live.maxClients)
		}},
	"timeout": {
		get: func(s *Server) string {
			return strconv.FormatInt(int64(time.Duration(s.live.idleTimeout.Load())/time.Second), 10)
		},
		set: func(s *Server, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 1<<31-1 {
				return errors.New("argument couldn't be parsed into an integer")
			}
			s.live.idleTimeout.Store(n * int64(time.Second))
			return nil
		}},
	"proto-max-bulk-len": {
		get: func(s *Server) string { return strconv.FormatInt(s.live.maxBulkLen.Load(), 10) },
		set: func(s *Server, v string) error {
			n, err := ParseMemory(v)
			if err != nil || n < 1024*1024 {
				return errors.New("argument must be a memory value of at least 1mb")
			}
			s.live.maxBulkLen.Store(n)
			return nil
		}},
	"requirepass": {
		get: func(s *Server) string { return *s.live.requirePass.Load() },
		set: func(s *Server, v string) error {
			s.live.requirePass.Store(&v)
			s.acl.setDefaultPassword(v) // acl.go: requirepass is the default user's password
			return nil
		}},
	"protected-mode": { // protected.go
		get: func(s *Server) string { return yesNo(s.live.protectedMode.Load()) },
		set: func(s *Server, v string) error {
			b, err := parseYesNo(v)
			if err == nil {
				s.live.protectedMode.Store(b)
			}
			return err
		}},
	"acllog-max-len": {
		get: func(s *Server) string { return strconv.FormatInt(s.acl.log.maxLen.Load(), 10) },
		set: func(s *Server, v string) error { return setPositive(v, 0, setterFunc(s.acl.log.setMaxLen)) }},
	"tracking-table-max-keys": {
		get: func(s *Server) string { return strconv.FormatInt(s.track.maxKeys.Load(), 10) },
		set: func(s *Server, v string) error { return setPositive(v, 0, setterFunc(s.track.setMaxKeys)) }},
	"save":       {get: func(*Server) string { return "" }, set: func(*Server, string) error { return nil }},
	"appendonly": {get: func(*Server) string { return "no" }},
	"databases":  {get: func(*Server) string { return "1" }},
	"port":       {get: func(s *Server) string { return strconv.Itoa(s.port()) }},
	"bind":       {get: func(s *Server) string { return s.bindAddr() }},
	"cluster-enabled": {get: func(s *Server) string {
		if s.cs.Load() != nil {
			return "yes"
		}
		return "no"
	}},
	"notify-keyspace-events":    notifyConfigParam,     // notify.go
	"latency-monitor-threshold": latencyConfigParam,    // latency.go
	"maxmemory-clients":         maxmemoryClientsParam, // clientmem.go
	"client-query-buffer-limit": {
		get: func(s *Server) string { return strconv.FormatInt(s.live.maxQueryBuf.Load(), 10) },
		set: func(s *Server, v string) error {
			n, err := ParseMemory(v)
			if err != nil {
				return errors.New("argument must be a memory value")
			}
			if n < 1<<20 {
				return errors.New("argument must be between 1048576 and 9223372036854775807 inclusive")
			}
			s.live.maxQueryBuf.Store(n)
			return nil
		}},
	"maxmemory-samples": {get: func(*Server) string { return "5" }}, // internal/store/pool.go poolSamples
	"daemonize":         {get: func(*Server) string { return "no" }},
	"replicaof":         {get: func(*Server) string { return "" }}, // never a Redis replica (repl.go is internal)
	"slaveof":           {get: func(*Server) string { return "" }},
}

// setterFunc adapts a func to setPositive's destination.
type setterFunc func(int64)

func (f setterFunc) Store(n int64) { f(n) }

func setPositive(v string, minimum int64, dst interface{ Store(int64) }) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < minimum {
		return fmt.Errorf("argument must be between %d and 9223372036854775807 inclusive", minimum)
	}
	dst.Store(n)
	return nil
}

func (s *Server) bindAddr() string {
	if a := s.Addr(); a != nil {
		if i := strings.LastIndexByte(a.String(), ':'); i >= 0 {
			return strings.Trim(a.String()[:i], "[]")
		}
	}
	return ""
}

var configSubcommands = map[string]subcommand{
	"get":       {-3, configGet},
	"set":       {-4, configSet},
	"resetstat": {2, configResetStat},
	"rewrite":   {2, func(c *conn, _ [][]byte) { c.replyErrString("ERR The server is running without a config file") }},
}

func configCmd(c *conn, args [][]byte) { c.runSubcommand("CONFIG", configSubcommands, args) }

// configGet is CONFIG GET pattern [pattern ...] (glob patterns).
func configGet(c *conn, args [][]byte) {
	seen := map[string]bool{}
	var names []string
	for _, a := range args[2:] {
		pat := strings.ToLower(string(a))
		for name := range configParams {
			if ok, _ := path.Match(pat, name); ok && !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	c.w.WriteMap(len(names))
	for _, n := range names {
		c.w.WriteBulkString(n)
		c.w.WriteBulkString(configParams[n].get(c.srv))
	}
}

// configSet is CONFIG SET name value [name value ...]; all names are
// checked before any is applied, and when a value is refused the ones
// already applied are set back, so the command changes all or nothing.
func configSet(c *conn, args [][]byte) {
	if len(args)%2 != 0 {
		c.replyErrString("ERR wrong number of arguments for 'config|set' command")
		return
	}
	seen := map[string]bool{}
	for i := 2; i < len(args); i += 2 {
		name := strings.ToLower(string(args[i]))
		p, ok := configParams[name]
		if !ok {
			c.replyErrString(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", args[i]))
			return
		}
		if p.set == nil {
			c.replyErrString(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config", args[i]))
			return
		}
		if seen[name] {
			c.replyErrString(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter", args[i]))
			return
		}
		seen[name] = true
	}
	var undo []func()
	for i := 2; i < len(args); i += 2 {
		name := strings.ToLower(string(args[i]))
		p := configParams[name]
		old := p.get(c.srv)
		if err := p.set(c.srv, string(args[i+1])); err != nil {
			for j := len(undo) - 1; j >= 0; j-- {
				undo[j]()
			}
			c.replyErrString(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %v", name, err))
			return
		}
		undo = append(undo, func() { _ = p.set(c.srv, old) })
	}
	c.w.WriteSimple("OK")
}

func configResetStat(c *conn, _ [][]byte) {
	s := c.srv
	s.errStats.reset()
	s.resetCommandstats()
	s.stats.commands.Store(0)
	s.stats.connsReceived.Store(0)
	s.stats.rejected.Store(0)
	s.stats.netIn.Store(0)
	s.stats.netOut.Store(0)
	s.stats.protoErrors.Store(0)
	c.w.WriteSimple("OK")
}
