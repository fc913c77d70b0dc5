package cacheserver

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ringcache/ringcache/internal/forward"
	"github.com/ringcache/ringcache/internal/resp"
)

// Peer authentication. A forwarding connection proves that its node knows
// the cluster's peer key by challenge and response, so neither the key nor
// any user password ever crosses the wire:
//
//	peer → RINGCACHE CHALLENGE                  ← $<server nonce, hex>
//	peer → RINGCACHE PEER <client nonce> <mac>  ← $<server mac>
//
// mac = HMAC-SHA256(key, "ringcache peer client v1" NUL snonce cnonce) and
// the server answers HMAC-SHA256(key, "ringcache peer server v1" NUL cnonce
// snonce), which the dialling node checks in turn (mutual). A challenge is
// good for one attempt. A proven connection is a peer's and counts as
// authenticated whatever requirepass is, so changing user passwords never
// breaks forwarding.
//
// The peer keys, derived with HKDF-SHA256, come from the first source
// configured: the cluster secret; else every gossip key in the keyring
// (rotation keeps them usable: during a rotation every pair of nodes shares
// one); else the current and the start-up requirepass. With none of them
// (an open cluster), RINGCACHE PEER without proof is accepted from an
// authenticated connection, as before. The dialling node tries its keys in
// order, one challenge each, until one is accepted.

const (
	peerClientLabel = "ringcache peer client v1\x00"
	peerServerLabel = "ringcache peer server v1\x00"
	peerNonceLen    = 16
)

// peerKeys returns the keys a peer may prove, in the order a dialling node
// tries them, and whether this node requires a proof at all.
func (s *Server) peerKeys() (keys [][]byte, required bool) {
	cc := s.cfg.Cluster
	switch {
	case cc != nil && len(cc.ClusterSecret) > 0:
		return [][]byte{derivePeerKey(cc.ClusterSecret, "cluster-secret")}, true
	case cc != nil && (len(cc.GossipKeys) > 0 || cc.KeyringFile != ""):
		if st := s.cs.Load(); st != nil {
			for _, k := range st.cl.Membership().LocalKeys() {
				keys = append(keys, derivePeerKey(k, "gossip-key"))
			}
		}
		return keys, true
	}
	live, boot := *s.live.requirePass.Load(), s.cfg.RequirePass
	if live != "" {
		keys = append(keys, derivePeerKey([]byte(live), "requirepass"))
	}
	if boot != "" && boot != live {
		keys = append(keys, derivePeerKey([]byte(boot), "requirepass"))
	}
	return keys, len(keys) > 0
}

func derivePeerKey(secret []byte, source string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, "ringcache peer auth v1 "+source, 32)
	if err != nil { // only for absurd lengths
		panic(err)
	}
	return k
}

func peerMAC(key []byte, label string, a, b []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write(a)
	h.Write(b)
	return []byte(hex.EncodeToString(h.Sum(nil)))
}

func newNonce() []byte {
	b := make([]byte, peerNonceLen)
	_, _ = rand.Read(b)
	return []byte(hex.EncodeToString(b))
}

// Peer authentication errors.
const (
	peerProofRequiredErr = "ERR RINGCACHE PEER refused: this node authenticates peers, proof of the cluster secret is required"
	peerNoChallengeErr   = "ERR RINGCACHE PEER refused: no challenge, send RINGCACHE CHALLENGE first"
	peerBadProofErr      = "ERR RINGCACHE PEER refused: invalid proof of the cluster secret"
)

// ringcacheCmd is RINGCACHE CHALLENGE and RINGCACHE PEER [cnonce mac]: a
// peer node's forwarding connection authenticates and marks itself, so
// commands for slots this node does not own are answered TRYAGAIN, never
// forwarded a second time. It runs before AUTH.
func ringcacheCmd(c *conn, args [][]byte) {
	switch sub := strings.ToLower(string(args[1])); {
	case sub == "challenge" && len(args) == 2:
		c.peerNonce = newNonce()
		c.w.WriteBulk(c.peerNonce)
	case sub == "peer" && len(args) == 4:
		peerProof(c, args[2], args[3])
	case sub == "peer" && len(args) == 2:
		peerUnproven(c)
	case sub == "epoch" && len(args) <= 3:
		ringcacheEpoch(c, args) // fence.go
	case sub == "handoff" && len(args) >= 4:
		ringcacheHandoff(c, args) // handoff_cmd.go
	case sub == "drain" && len(args) == 2:
		ringcacheDrain(c) // handoff_cmd.go
	case sub == "repl":
		ringcacheRepl(c, args) // replica.go
	case sub == "probe":
		ringcacheProbe(c, args) // failover.go
	case sub == "exclude":
		ringcacheExclude(c, args) // failover.go
	default:
		c.replyErrString(handoffUsage(args[1]))
	}
}

func peerProof(c *conn, cnonce, mac []byte) {
	snonce := c.peerNonce
	c.peerNonce = nil
	if snonce == nil {
		c.replyErrString(peerNoChallengeErr)
		return
	}
	keys, _ := c.srv.peerKeys()
	for _, k := range keys {
		if hmac.Equal(mac, peerMAC(k, peerClientLabel, snonce, cnonce)) {
			c.peer = true
			c.releaseMem() // clientmem.go: peers are not clients for maxmemory-clients
			c.setAuthed(true)
			c.w.WriteBulk(peerMAC(k, peerServerLabel, cnonce, snonce))
			return
		}
	}
	c.srv.log.Warn("peer authentication failed", "client", c.addr)
	c.replyErrString(peerBadProofErr)
}

func peerUnproven(c *conn) {
	switch _, required := c.srv.peerKeys(); {
	case required:
		c.srv.log.Warn("peer connection without proof refused", "client", c.addr)
		c.replyErrString(peerProofRequiredErr)
	case !c.authed:
		c.replyErrString(noAuthErr)
	default:
		c.peer = true
		c.releaseMem() // clientmem.go: peers are not clients for maxmemory-clients
		c.w.WriteSimple("OK")
	}
}

// authenticatePeer is the dialling side, run on every new forwarding
// connection before its handshake.
func (s *Server) authenticatePeer(ex forward.Exchange) error {
	keys, required := s.peerKeys()
	if !required {
		return replyErr(ex("RINGCACHE", "PEER"))
	}
	err := errors.New("no peer key yet")
	for _, k := range keys {
		if err = provePeer(ex, k); err == nil {
			return nil
		}
	}
	return fmt.Errorf("peer authentication: %w", err)
}

// provePeer runs one challenge and response with key k.
func provePeer(ex forward.Exchange, k []byte) error {
	ch, err := ex("RINGCACHE", "CHALLENGE")
	if err = replyErr(ch, err); err != nil {
		return err
	}
	cnonce := newNonce()
	v, err := ex("RINGCACHE", "PEER", string(cnonce), string(peerMAC(k, peerClientLabel, ch.Str, cnonce)))
	if err = replyErr(v, err); err != nil {
		return err
	}
	if !hmac.Equal(v.Str, peerMAC(k, peerServerLabel, cnonce, ch.Str)) {
		return errors.New("the peer did not prove the cluster secret")
	}
	return nil
}

// replyErr turns an exchange's failure or error reply into an error.
func replyErr(v resp.Value, err error) error {
	if err != nil {
		return err
	}
	if v.IsError() {
		return errors.New(string(v.Str))
	}
	return nil
}
