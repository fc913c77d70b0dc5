package acl

import (
	"slices"
	"strings"
)

// applyCommand applies +name / -name: a command, "command|sub", a
// category ("@read"), or a deprecated first argument ("select|0").
func (u *User) applyCommand(allow bool, name string) string {
	name = strings.ToLower(name)
	if cat, ok := strings.CutPrefix(name, "@"); ok {
		return u.applyCategory(allow, cat)
	}
	if id, ok := u.cat.Lookup(name); ok {
		u.setCommand(id, allow)
		delete(u.firstArgs, id)
		u.updateRules(allow, name)
		return ""
	}
	cmd, arg, found := strings.Cut(name, "|")
	id, ok := u.cat.Lookup(cmd)
	if !found || !ok {
		return ReasonUnknown
	}
	if u.cat.HasSubs(id) {
		if sub, rest, more := strings.Cut(arg, "|"); more && rest != "" {
			if _, ok := u.cat.Lookup(cmd + "|" + sub); ok {
				return ReasonSubFirstArg
			}
		}
		return ReasonUnknown
	}
	if !allow || strings.Contains(arg, "|") || arg == "" {
		return ReasonUnknown
	}
	if !u.CanRun(id, nil) {
		if u.firstArgs == nil {
			u.firstArgs = map[int][]string{}
		}
		if !slices.Contains(u.firstArgs[id], arg) {
			u.firstArgs[id] = append(u.firstArgs[id], arg)
		}
	}
	u.updateRules(true, name)
	return ""
}

func (u *User) applyCategory(allow bool, name string) string {
	if name == "all" {
		for id := range u.cat.Len() {
			u.setBit(id, allow)
		}
		u.allFuture, u.rules, u.firstArgs = allow, nil, nil
		return ""
	}
	cat, ok := ParseCategory(name)
	if !ok {
		return ReasonUnknown
	}
	for _, id := range u.cat.InCategory(cat) {
		u.setBit(id, allow)
		delete(u.firstArgs, id)
	}
	u.updateRules(allow, "@"+name)
	return ""
}

// setCommand allows or denies a command, with all its subcommands.
func (u *User) setCommand(id int, allow bool) {
	u.setBit(id, allow)
	for _, sub := range u.cat.subs[id] {
		u.setBit(sub, allow)
	}
}

// updateRules records a command rule as Redis 7.2 does: earlier rules for
// the same name (and for its subcommands) are dropped, the new one goes
// last, so the list replays to the same permissions.
func (u *User) updateRules(allow bool, name string) {
	u.rules = slices.DeleteFunc(u.rules, func(r string) bool {
		r = r[1:]
		return r == name || strings.HasPrefix(r, name+"|")
	})
	sign := "-"
	if allow {
		sign = "+"
	}
	u.rules = append(u.rules, sign+name)
}
