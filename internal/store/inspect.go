package store

import "time"

// KeyInfo describes one key for OBJECT and MEMORY USAGE.
type KeyInfo struct {
	ValLen int           // value length in bytes
	Small  []byte        // a copy of the value when it is at most 20 bytes (an integer candidate)
	Raw    bool          // APPEND or SETRANGE edited the value since it was last written whole
	Freq   int           // LFU counter after decay (meaningful under an LFU policy)
	Idle   time.Duration // time since the last access (meaningful under the other policies)
	Bytes  int           // memory the key takes: its record plus its share of the index (and its large object)
	Kind   Kind          // the key's kind
}

// indexEntryBytes is a key's share of the index (one 16-byte map slot at
// the 7/8 load the index grows at, rounded).
const indexEntryBytes = 18

// Inspect returns what OBJECT and MEMORY USAGE report about key, without
// touching it (no LRU/LFU update, no hit or miss), as Redis's
// OBJECT/MEMORY read keys. An expired key is deleted and reported missing.
func (s *Store) Inspect(key []byte) (KeyInfo, bool) {
	sh, slot := s.lock(key)
	defer sh.mu.Unlock()
	now := s.now()
	_, loc, ok := sh.find(slot, key, now)
	if !ok {
		return KeyInfo{}, false
	}
	r := sh.arena.rec(loc)
	info := KeyInfo{ValLen: r.valLen(), Raw: r.raw(), Bytes: r.size() + indexEntryBytes, Kind: r.kind()}
	if r.kind() != KindString && r.enc() == encLarge {
		info.Bytes += int(sh.objAcc[r.handle()])
	}
	if v := r.val(); len(v) <= 20 && r.kind() == KindString {
		info.Small = append([]byte{}, v...)
	}
	if Policy(s.mem.policy.Load()).lfu() {
		info.Freq = int(lfuDecayed(r.access(), now))
	} else {
		info.Idle = time.Duration(lruClock(now)-r.access()) << 20
	}
	return info, true
}
