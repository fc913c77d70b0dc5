package membership

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ringcache/internal/poll"
)

// syncBuf is a log sink tests can read while nodes write to it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// startKeyed starts a node with the given gossip keys and keyring file,
// logging to log.
func startKeyed(t *testing.T, name string, keys [][]byte, file string, log *syncBuf, join ...string) *node {
	t.Helper()
	cfg := DefaultLocalConfig()
	cfg.NodeName, cfg.Tags, cfg.Join, cfg.Keys, cfg.KeyringFile = name, tags, join, keys, file
	cfg.Logger = testLogger()
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return startWith(t, cfg)
}

// TestEncryptedClusterRefusesNodesWithoutTheKey: a node without a key and a
// node with another key never join an encrypted cluster, and both sides
// log why.
func TestEncryptedClusterRefusesNodesWithoutTheKey(t *testing.T) {
	key := newKey(t)
	var alog, xlog, wlog syncBuf
	a := startKeyed(t, "a", [][]byte{key}, "", &alog)
	b := startKeyed(t, "b", [][]byte{key}, "", nil, a.LocalAddr())
	waitView(t, "a,b", a, b)
	keyless := startKeyed(t, "keyless", nil, "", &xlog, a.LocalAddr())
	wrong := startKeyed(t, "wrong", [][]byte{newKey(t)}, "", &wlog, a.LocalAddr())
	poll.Until(t, 10*time.Second, "both refused nodes to log a failed join", func() bool {
		return strings.Contains(xlog.String(), "join failed") && strings.Contains(wlog.String(), "join failed")
	})
	poll.Until(t, 10*time.Second, "the encrypted node to log why it refused", func() bool {
		return strings.Contains(alog.String(), "not encrypted") && strings.Contains(alog.String(), "no installed keys could decrypt")
	})
	for _, n := range []*node{a, b} {
		if v := n.view(); v != "a,b" {
			t.Errorf("%s admitted an outsider: %s", n.cfg.NodeName, v)
		}
	}
	if keyless.Joined() || wrong.Joined() {
		t.Errorf("refused nodes report joined: keyless=%v wrong=%v", keyless.Joined(), wrong.Joined())
	}
	if !strings.Contains(xlog.String(), "gossip key") {
		t.Errorf("keyless node's log does not name the likely cause:\n%s", xlog.String())
	}
}

// TestKeyRotationAcrossTheCluster installs, uses and removes keys on a live
// three-node cluster: membership never changes, the keyring files follow,
// and afterwards only the new key admits a node.
func TestKeyRotationAcrossTheCluster(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := newKey(t), newKey(t)
	b64 := base64.StdEncoding.EncodeToString
	files := []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.json")}
	a := startKeyed(t, "a", [][]byte{k1}, files[0], nil)
	b := startKeyed(t, "b", [][]byte{k1}, files[1], nil, a.LocalAddr())
	c := startKeyed(t, "c", [][]byte{k1}, files[2], nil, a.LocalAddr())
	waitView(t, "a,b,c", a, b, c)
	for _, step := range []struct {
		op  KeyringOp
		key []byte
	}{{KeyInstall, k2}, {KeyUse, k2}, {KeyRemove, k1}} {
		res, err := b.Keyring(step.op, b64(step.key))
		if err != nil || res.Responses != 3 {
			t.Fatalf("keyring op %d: %+v, %v", step.op, res, err)
		}
	}
	res, err := c.Keyring(KeyList, "")
	if err != nil || len(res.Keys) != 1 || res.Keys[b64(k2)] != 3 || res.Primary[b64(k2)] != 3 {
		t.Fatalf("list after rotation: %+v, %v", res, err)
	}
	for i, n := range []*node{a, b, c} {
		if got := n.LocalKeys(); len(got) != 1 || !bytes.Equal(got[0], k2) {
			t.Errorf("%s keys after rotation: %d keys", n.cfg.NodeName, len(got))
		}
		if keys, err := LoadKeyring(files[i]); err != nil || len(keys) != 1 || !bytes.Equal(keys[0], k2) {
			t.Errorf("%s keyring file after rotation: %d keys, %v", n.cfg.NodeName, len(keys), err)
		}
	}
	for _, n := range []*node{a, b, c} {
		if v := n.view(); v != "a,b,c" {
			t.Errorf("%s's view changed during rotation: %s", n.cfg.NodeName, v)
		}
	}
	// A restart from the rewritten keyring file joins; the old key does not.
	old := startKeyed(t, "old", [][]byte{k1}, "", nil, a.LocalAddr())
	keys, _ := LoadKeyring(files[2])
	efile := filepath.Join(dir, "e.json")
	if err := writeKeyring(efile, keys); err != nil {
		t.Fatal(err)
	}
	e := startKeyed(t, "e", nil, efile, nil, a.LocalAddr())
	waitView(t, "a,b,c,e", a, e)
	if old.Joined() || slices.Contains(strings.Split(a.view(), ","), "old") {
		t.Error("a node with the removed key joined")
	}
	if len(keys) != 1 || !bytes.Equal(e.LocalKeys()[0], k2) {
		t.Error("restarted node did not start from the keyring file")
	}
}

func TestKeyValidation(t *testing.T) {
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 15))} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if _, err := ParseKey(base64.StdEncoding.EncodeToString(make([]byte, 24))); err != nil {
		t.Errorf("24-byte key refused: %v", err)
	}
	cfg := DefaultLocalConfig()
	cfg.NodeName, cfg.Keys = "x", [][]byte{make([]byte, 7)}
	if _, err := New(cfg, nil); err == nil || strings.Contains(err.Error(), "\x00") {
		t.Errorf("New accepted a 7-byte key: %v", err)
	}
	plain := start(t, "plain", tags)
	if _, err := plain.Keyring(KeyList, ""); err == nil {
		t.Error("keyring op on an unencrypted node succeeded")
	}
}
