package membership

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// Gossip encryption: every gossip message (UDP and TCP) is sealed with
// AES-GCM under the keyring's primary key and opened with any key of the
// keyring (memberlist's keyring). A node without a matching key cannot
// read or be read by the others, so it never joins. Keys are rotated
// cluster-wide without downtime: InstallKey on every node, then UseKey
// (new primary), then RemoveKey of the old one. With a KeyringFile, serf
// rewrites the file after each change, so a restarted node starts with the
// current keys.

// ParseKey decodes a base64 gossip key and checks its length (16, 24 or 32
// bytes: AES-128, -192 or -256).
func ParseKey(b64 string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errors.New("gossip key: not valid base64")
	}
	if err := memberlist.ValidateKey(k); err != nil {
		return nil, fmt.Errorf("gossip key: %d bytes, want 16, 24 or 32", len(k))
	}
	return k, nil
}

// LoadKeyring reads a keyring file: a JSON array of base64 keys, the
// primary first (the format serf writes). It returns nil, nil when the
// file does not exist.
func LoadKeyring(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyring file: %w", err)
	}
	var enc []string
	if err := json.Unmarshal(b, &enc); err != nil {
		return nil, fmt.Errorf("keyring file %s: want a JSON array of base64 keys: %w", path, err)
	}
	keys := make([][]byte, 0, len(enc))
	for i, e := range enc {
		k, err := ParseKey(e)
		if err != nil {
			return nil, fmt.Errorf("keyring file %s: entry %d: %w", path, i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// writeKeyring writes keys (primary first) to path, readable by the owner
// only.
func writeKeyring(path string, keys [][]byte) error {
	enc := make([]string, len(keys))
	for i, k := range keys {
		enc[i] = base64.StdEncoding.EncodeToString(k)
	}
	b, _ := json.MarshalIndent(enc, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("keyring file: %w", err)
	}
	return nil
}

// resolveKeys returns the keys gossip starts with: the keyring file's when
// it exists, else cfg.Keys (then written to the file, if one is set).
func resolveKeys(cfg Config) ([][]byte, error) {
	if cfg.KeyringFile != "" {
		keys, err := LoadKeyring(cfg.KeyringFile)
		if err != nil || len(keys) > 0 {
			if len(cfg.Keys) > 0 && err == nil {
				cfg.Logger.Info("gossip keyring file exists: it wins over the configured gossip key", "file", cfg.KeyringFile)
			}
			return keys, err
		}
		if len(cfg.Keys) > 0 {
			if err := writeKeyring(cfg.KeyringFile, cfg.Keys); err != nil {
				return nil, err
			}
		}
	}
	return cfg.Keys, nil
}

func newKeyring(keys [][]byte) (*memberlist.Keyring, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	for _, k := range keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return nil, fmt.Errorf("membership: gossip key of %d bytes, want 16, 24 or 32", len(k))
		}
	}
	return memberlist.NewKeyring(keys, keys[0])
}

// Encrypted reports whether gossip is encrypted.
func (m *Membership) Encrypted() bool { return m.serf.EncryptionEnabled() }

// LocalKeys returns this node's gossip keys, the primary first; nil when
// gossip is not encrypted. The slices are copies.
func (m *Membership) LocalKeys() [][]byte {
	if m.keyring == nil {
		return nil
	}
	keys := m.keyring.GetKeys() // primary first
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = slices.Clone(k)
	}
	return out
}

// KeyringOp is a cluster-wide keyring operation.
type KeyringOp int

// Keyring operations, in rotation order.
const (
	KeyList KeyringOp = iota
	KeyInstall
	KeyUse
	KeyRemove
)

// KeyringResult is what the members answered to a keyring operation.
type KeyringResult struct {
	Nodes, Responses, Errors int
	// Keys and Primary count, per base64 key, the members holding it
	// (List only).
	Keys, Primary map[string]int
	// Messages holds the members' error messages, by node name.
	Messages map[string]string
}

// Keyring runs op on every member (a serf query) and waits for their
// answers; key is the base64 key (ignored by KeyList). The error reports
// members that failed or did not answer; the result is filled either way.
func (m *Membership) Keyring(op KeyringOp, key string) (KeyringResult, error) {
	if !m.Encrypted() {
		return KeyringResult{}, errors.New("gossip encryption is not enabled on this node")
	}
	if op != KeyList {
		if _, err := ParseKey(key); err != nil {
			return KeyringResult{}, err
		}
	}
	km := m.serf.KeyManager()
	var resp *serf.KeyResponse
	var err error
	switch op {
	case KeyInstall:
		resp, err = km.InstallKey(key)
	case KeyUse:
		resp, err = km.UseKey(key)
	case KeyRemove:
		resp, err = km.RemoveKey(key)
	default:
		resp, err = km.ListKeys()
	}
	if resp == nil {
		return KeyringResult{}, err
	}
	return KeyringResult{Nodes: resp.NumNodes, Responses: resp.NumResp, Errors: resp.NumErr,
		Keys: counts(resp.Keys), Primary: counts(resp.PrimaryKeys), Messages: maps(resp.Messages)}, err
}

func counts(in map[string]int) map[string]int {
	out := make(map[string]int, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// joinHint names the likely cause of a failed join that encryption
// explains: seeds that encrypt gossip drop a node without their key
// without an answer it can read.
func (m *Membership) joinHint() string {
	if m.keyring == nil {
		return "seeds unreachable, or they encrypt gossip and this node has no gossip key (--gossip-key)"
	}
	return "seeds unreachable, or they do not hold this node's primary gossip key"
}
