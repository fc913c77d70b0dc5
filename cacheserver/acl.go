package cacheserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ringcache/ringcache/internal/acl"
)

// ACL users (Redis 7): a registry of named users, each published as an
// immutable *acl.User behind an aclHandle, so a connection reads its
// user's current permissions with one atomic load and ACL SETUSER takes
// effect at once on every connection logged in as that user. The default
// user's password is requirepass (CONFIG SET requirepass changes it).
// Users are node-local: ACL SETUSER changes this node only; the same ACL
// reaches every node through the same --aclfile (docs/security.md).
// Peer connections (RINGCACHE PEER) are not subject to users: a command a
// node forwards was checked on the node the client is connected to.

// aclHandle is one user's slot in the registry; connections point to it.
type aclHandle struct {
	name string
	cur  atomic.Pointer[acl.User]
}

// aclRegistry holds the users of one server.
type aclRegistry struct {
	cat   *acl.Catalog
	file  string // --aclfile, "" for none
	mu    sync.Mutex
	users map[string]*aclHandle
	def   *aclHandle
	pass  string // requirepass, for a default user an aclfile does not define
	log   aclLog
}

const noACLFileErr = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// newACLRegistry builds the registry: the default user with requirepass,
// then the users of aclFile when set.
func newACLRegistry(cat *acl.Catalog, requirePass, aclFile string) (*aclRegistry, error) {
	r := &aclRegistry{cat: cat, file: aclFile, users: map[string]*aclHandle{}}
	r.def = &aclHandle{name: "default"}
	r.def.cur.Store(acl.NewDefaultUser(cat))
	r.users["default"] = r.def
	r.log.maxLen.Store(128)
	r.setDefaultPassword(requirePass)
	if aclFile != "" {
		if _, err := r.load(); err != nil {
			return nil, fmt.Errorf("aclfile: %w", err)
		}
	}
	return r, nil
}

// setDefaultPassword makes pass the default user's only password (""
// for nopass), as CONFIG SET requirepass does in Redis.
func (r *aclRegistry) setDefaultPassword(pass string) {
	rule := "nopass"
	if pass != "" {
		rule = ">" + pass
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pass = pass
	if u, err := r.def.cur.Load().Apply("resetpass", rule); err == nil {
		r.def.cur.Store(u)
	}
}

// defaultNoPass reports whether new connections are logged in as the
// default user without AUTH (default is on and has nopass).
func (r *aclRegistry) defaultNoPass() bool {
	u := r.def.cur.Load()
	return u.Enabled() && u.NoPass()
}

// authenticate returns the handle of name when pass logs it in.
func (r *aclRegistry) authenticate(name string, pass []byte) (*aclHandle, bool) {
	r.mu.Lock()
	h := r.users[name]
	r.mu.Unlock()
	if h == nil {
		return nil, false
	}
	u := h.cur.Load()
	return h, u.Enabled() && u.CheckPassword(pass)
}

// get returns the handle of name, or nil.
func (r *aclRegistry) get(name string) *aclHandle {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[name]
}

// setUser applies rules to name, creating it (from "reset") if needed.
func (r *aclRegistry) setUser(name string, rules []string) (*aclHandle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.users[name]
	base := acl.NewUser(name, r.cat)
	if h != nil {
		base = h.cur.Load()
	}
	u, err := base.Apply(rules...)
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = &aclHandle{name: name}
		r.users[name] = h
	}
	h.cur.Store(u)
	return h, nil
}

// delUsers removes users and returns the handles removed.
func (r *aclRegistry) delUsers(names []string) []*aclHandle {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*aclHandle
	for _, n := range names {
		if h := r.users[n]; h != nil {
			delete(r.users, n)
			out = append(out, h)
		}
	}
	return out
}

// sorted returns the users by name.
func (r *aclRegistry) sorted() []*acl.User {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*acl.User, 0, len(r.users))
	for _, h := range r.users {
		out = append(out, h.cur.Load())
	}
	slices.SortFunc(out, func(a, b *acl.User) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// load replaces every user with the aclfile's. A default user missing
// from the file is Redis's default, "on nopass ~* &* +@all", but with
// requirepass as its password when set (Redis would drop requirepass:
// safer not to open the node). It returns the handles whose user changed
// or was deleted; on error nothing changes.
func (r *aclRegistry) load() ([]*aclHandle, error) {
	if r.file == "" {
		//lint:ignore ST1005 the exact Redis error text
		return nil, errors.New(noACLFileErr)
	}
	text, err := os.ReadFile(r.file)
	if err != nil {
		return nil, err
	}
	users, err := acl.ParseFile(string(text), r.cat)
	if err != nil {
		return nil, errors.New(r.file + err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	def := acl.NewDefaultUser(r.cat)
	if r.pass != "" {
		def, _ = def.Apply(">" + r.pass)
	}
	next := map[string]*acl.User{"default": def}
	for _, u := range users {
		next[u.Name()] = u
	}
	var changed []*aclHandle
	for name, h := range r.users {
		if u, ok := next[name]; !ok {
			delete(r.users, name)
			changed = append(changed, h)
		} else if u.Line() != h.cur.Load().Line() {
			changed = append(changed, h)
		}
	}
	for name, u := range next {
		if h := r.users[name]; h != nil {
			h.cur.Store(u)
			continue
		}
		h := &aclHandle{name: name}
		h.cur.Store(u)
		r.users[name] = h
	}
	return changed, nil
}

// save writes every user to the aclfile (through a temporary file and a
// rename, mode 0600: the file holds password hashes).
func (r *aclRegistry) save() error {
	if r.file == "" {
		//lint:ignore ST1005 the exact Redis error text
		return errors.New(noACLFileErr)
	}
	var b strings.Builder
	for _, u := range r.sorted() {
		b.WriteString(u.Line() + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.file), ".acl-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), r.file)
}

// login authenticates the connection as user (nil: "default") with pass;
// a failure is logged in ACL LOG as Redis does.
func (c *conn) login(user, pass []byte) bool {
	name := "default"
	if user != nil {
		name = string(user)
	}
	h, ok := c.srv.acl.authenticate(name, pass)
	if !ok {
		c.srv.acl.log.add("auth", "toplevel", "AUTH", name, c.describe())
		return false
	}
	c.user.Store(h)
	return true
}
