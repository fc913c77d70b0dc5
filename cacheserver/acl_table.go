package cacheserver

import (
	"slices"
	"strings"

	"github.com/ringcache/ringcache/internal/acl"
)

// ACL categories come from the command table, declared once per entry:
// cmd.acl lists categories; @read/@write (from the "readonly"/"write"
// flags), @fast/@slow (from "fast") and @admin @dangerous (from "admin")
// are derived when an entry does not list them, so a new entry only needs
// its type's category (e.g. acl: []string{"@hash"}). Subcommands of a
// container (cmd.subs) have the container's categories, plus @admin
// @dangerous for those in cmd.adminSubs. COMMAND INFO and ACL CAT are
// derived from these.

// chanSpec says which arguments of a command are Pub/Sub channels, for
// the users' channel permissions (&pattern).
type chanSpec uint8

const (
	chanNone     chanSpec = iota
	chanFirst             // args[1] (PUBLISH, SPUBLISH)
	chanAll               // args[1:] (SUBSCRIBE, SSUBSCRIBE)
	chanPatterns          // args[1:] are patterns (PSUBSCRIBE): each must be one of the user's, literally
)

// deriveCategories sets cmd.cats from cmd.acl and cmd.flags, and rewrites
// cmd.acl in Redis's order (what COMMAND INFO shows).
func (cmd *command) deriveCategories() {
	var cats acl.Categories
	for _, name := range cmd.acl {
		if c, ok := acl.ParseCategory(strings.TrimPrefix(name, "@")); ok {
			cats |= c
		}
	}
	has := func(f string) bool { return slices.Contains(cmd.flags, f) }
	if cats&(acl.Read|acl.Write) == 0 {
		switch {
		case has("write"):
			cats |= acl.Write
		case has("readonly"):
			cats |= acl.Read
		}
	}
	if cats&(acl.Fast|acl.Slow) == 0 {
		if has("fast") {
			cats |= acl.Fast
		} else {
			cats |= acl.Slow
		}
	}
	if has("admin") {
		cats |= acl.Admin | acl.Dangerous
	}
	cmd.cats = cats
	cmd.acl = cats.Names()
}

// buildCatalog numbers every command, then every subcommand, for ACL.
func (t *commandTable) buildCatalog() *acl.Catalog {
	cat := acl.NewCatalog()
	for _, cmd := range t.sorted {
		cmd.aclID = cat.AddCommand(cmd.name, cmd.cats)
	}
	for _, cmd := range t.sorted {
		if cmd.subs == nil {
			continue
		}
		names := make([]string, 0, len(cmd.subs))
		for s := range cmd.subs {
			names = append(names, s)
		}
		slices.Sort(names)
		cmd.subIDs = make(map[string]int, len(names))
		for _, s := range names {
			cats := cmd.cats
			if slices.Contains(cmd.adminSubs, s) {
				cats |= acl.Admin | acl.Dangerous
			}
			cmd.subIDs[s] = cat.AddSub(cmd.aclID, s, cats)
		}
	}
	return cat
}

// keyPerm is what a command needs on its keys, as Redis's key specs
// say: R to read (readonly commands), W to overwrite or remove without
// reading (entries marked writeOnly; SET only without its GET option),
// both for any other write (INCR, APPEND, GETDEL... answer from the value).
func (cmd *command) keyPerm(args [][]byte) acl.Perm {
	switch {
	case cmd.readonly:
		return acl.PermRead
	case cmd.writeOnly && !(cmd.name == "set" && hasArg(args[3:], "get")):
		return acl.PermWrite
	}
	return acl.PermRW
}

// hasArg reports whether args contain opt, case-insensitively.
func hasArg(args [][]byte, opt string) bool {
	for _, a := range args {
		if strings.EqualFold(string(a), opt) {
			return true
		}
	}
	return false
}

// withSubs sets a container entry's subcommands (and those of them that
// are @admin @dangerous), for table entries made by a helper.
func withSubs(subs map[string]subcommand, adminSubs []string, cmd *command) *command {
	cmd.subs, cmd.adminSubs = subs, adminSubs
	return cmd
}

// withChans sets which arguments of a command are channels.
func withChans(spec chanSpec, cmd *command) *command {
	cmd.chans = spec
	return cmd
}

// clusterAdminSubs are the CLUSTER subcommands Redis flags admin (and
// KEYRING, which changes or shows the gossip keys).
var clusterAdminSubs = []string{"addslots", "addslotsrange", "delslots", "delslotsrange", "failover", "forget",
	"meet", "replicate", "reset", "setslot", "flushslots", "saveconfig", "set-config-epoch", "bumpepoch",
	"count-failure-reports", "keyring"}

// channelsByConn returns each subscriber's channels and shard channels
// (pattern subscriptions are not included).
func (p *pubsubRegistry) channelsByConn() map[*conn][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[*conn][]string{}
	for _, kind := range []subKind{subChannel, subShard} {
		for ch, subs := range p.tables[kind] {
			for c := range subs {
				out[c] = append(out[c], ch)
			}
		}
	}
	return out
}
