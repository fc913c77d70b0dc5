package store

// Len returns the number of live keys (due keys are purged first).
func (s *Store) Len() int {
	n := 0
	s.eachShard(func(sh *shard) { n += int(sh.keys) })
	return n
}

// Expires returns the number of live keys with a TTL.
func (s *Store) Expires() int {
	n := 0
	s.eachShard(func(sh *shard) { n += int(sh.expires) })
	return n
}

// eachShard calls fn on every shard under its lock, after purging due keys.
func (s *Store) eachShard(fn func(sh *shard)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.purgeAll(s.now())
		fn(sh)
		sh.mu.Unlock()
	}
}

// FlushAll deletes every key and returns how many live keys it deleted.
func (s *Store) FlushAll() int {
	n := 0
	s.eachShard(func(sh *shard) {
		n += int(sh.keys)
		sh.s.mem.keys.Add(-sh.keys)
		sh.s.mem.heap.Add(-int64(cap(sh.exp)) * expEntSize)
		sh.arena.dropAll(&sh.s.mem)
		sh.dropObjs()
		clear(sh.counts)
		sh.m, sh.over, sh.peak = nil, nil, 0
		sh.s.mem.index.Add(-sh.idxEst)
		sh.idxEst = 0
		sh.exp, sh.pool, sh.snap = nil, evictPool{}, nil
		sh.keys, sh.expires = 0, 0
	})
	return n
}

// SetMaxMemory changes the budget (CONFIG SET maxmemory) and evicts at once
// down to it (0 = unlimited).
func (s *Store) SetMaxMemory(n int64) {
	if n < 0 {
		n = 0
	}
	s.mem.max.Store(n)
	for n > 0 && s.mem.used() > n && s.shrinkOnce() {
	}
}

// shrinkOnce evicts one key from some shard.
func (s *Store) shrinkOnce() bool {
	if Policy(s.mem.policy.Load()) == NoEviction {
		return false
	}
	for i := range s.shards {
		sh := &s.shards[(int(s.mem.keys.Load())+i)%len(s.shards)]
		sh.mu.Lock()
		ok := sh.evictLocal(-1, 0)
		if ok {
			sh.maybeCompact()
		} else if v := sh.arena.victim(); v >= 0 {
			sh.compact(v)
		}
		sh.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// SetPolicy changes the eviction policy (CONFIG SET maxmemory-policy).
func (s *Store) SetPolicy(p Policy) {
	if p < 0 || int(p) >= len(policyNames) {
		return
	}
	s.mem.policy.Store(int64(p))
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.pool = evictPool{}
		sh.mu.Unlock()
	}
}

// Policy returns the current eviction policy.
func (s *Store) Policy() Policy { return Policy(s.mem.policy.Load()) }

// MaxMemory returns the current budget (0 = unlimited).
func (s *Store) MaxMemory() int64 { return s.mem.max.Load() }

// UsedMemory returns the bytes the store holds, as counted for maxmemory.
func (s *Store) UsedMemory() int64 { return s.mem.used() }

// Stats returns the counters (live keys after purging due ones).
func (s *Store) Stats() Stats {
	st := Stats{MaxMemory: s.mem.max.Load(), Policy: s.Policy()}
	s.eachShard(func(sh *shard) {
		st.Keys += sh.keys
		st.Expires += sh.expires
		st.Hits += sh.hits
		st.Misses += sh.misses
		st.ExpiredKeys += sh.expired
		st.EvictedKeys += sh.evicted
		st.ArenaBytes += sh.arena.bytes
		st.LiveBytes += sh.arena.live
		st.Compactions += sh.arena.compactions
	})
	st.UsedMemory = s.mem.used()
	return st
}

// ResetStats zeroes hits, misses, expired and evicted (CONFIG RESETSTAT).
func (s *Store) ResetStats() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.hits, sh.misses, sh.expired, sh.evicted = 0, 0, 0, 0
		sh.mu.Unlock()
	}
}
