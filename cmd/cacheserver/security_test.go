package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/redistest"
	"github.com/ringcache/ringcache/internal/tlstest"
)

func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func gossipKeyB64(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// TestSecretsFromEnvAndFilesNeverLogged starts two real nodes whose
// password and cluster secret come from files and gossip key from the
// environment, with debug logging; it authenticates (once wrongly),
// forwards writes, rotates the gossip key with CLUSTER KEYRING and changes
// the password at run time. No secret appears in either node's log, and
// the log says which protections are on.
func TestSecretsFromEnvAndFilesNeverLogged(t *testing.T) {
	dir := t.TempDir()
	pass, newPass, secret := "pw-"+randomText(t, 8), "pw2-"+randomText(t, 8), "cs-"+randomText(t, 8)
	k1, k2 := gossipKeyB64(t), gossipKeyB64(t)
	passFile, secretFile := filepath.Join(dir, "pass"), filepath.Join(dir, "secret")
	for f, v := range map[string]string{passFile: pass + "\n", secretFile: secret} {
		if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lc := launch.StartT(t, launch.Options{N: 2, Password: pass, Env: []string{"RINGCACHE_GOSSIP_KEY=" + k1},
		Args: []string{"--requirepass-file", passFile, "--cluster-secret-file", secretFile, "--loglevel", "debug"}})
	ctx := context.Background()
	bad := redis.NewClient(&redis.Options{Addr: lc.Addrs()[0], Password: "wrong-" + pass, MaxRetries: -1})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("wrong password: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: lc.Addrs()[0], Password: pass, MaxRetries: -1})
	defer rdb.Close()
	for i := range 50 {
		if err := rdb.Set(ctx, "k"+strings.Repeat("x", i), "v", 0).Err(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	for _, step := range [][]any{{"install", k2}, {"use", k2}, {"remove", k1}} {
		if err := rdb.Do(ctx, append([]any{"cluster", "keyring"}, step...)...).Err(); err != nil {
			t.Fatalf("CLUSTER KEYRING %v: %v", step[0], err)
		}
	}
	if err := rdb.ConfigSet(ctx, "requirepass", newPass).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := rdb.ConfigGet(ctx, "requirepass").Result(); err != nil || got["requirepass"] != newPass {
		t.Fatalf("CONFIG GET requirepass: %v %v (Redis answers the password to an authenticated client)", got, err)
	}
	for _, n := range lc.Nodes() {
		if err := n.Stop(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		log, err := os.ReadFile(n.Log)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]string{"password": pass, "new password": newPass, "cluster secret": secret,
			"gossip key": k1, "new gossip key": k2} {
			if strings.Contains(string(log), s) {
				t.Errorf("%s's log contains the %s", n.Name, name)
			}
		}
		for _, want := range []string{"requirepass_set=true", "gossip_encryption=true", `peer_auth="cluster secret"`} {
			if !strings.Contains(string(log), want) {
				t.Errorf("%s's log lacks %s:\n%s", n.Name, want, log)
			}
		}
	}
}

func TestSecurityFlagErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	_ = os.WriteFile(keyFile, []byte(gossipKeyB64(t)), 0o600)
	for _, args := range [][]string{
		{"--gossip-key", "c2hvcnQ="},
		{"--gossip-key", gossipKeyB64(t), "--gossip-key-file", keyFile},
		{"--cluster-secret-file", filepath.Join(dir, "missing")},
		{"--protected-mode", "maybe"},
		{"--tls-cluster", "--tls-cert-file", keyFile, "--tls-key-file", keyFile},
		{"--tls-port", "0"},
		{"--cluster-enabled=false", "--gossip-key-file", keyFile},
	} {
		o, err := parseFlags(args, io.Discard)
		if err == nil {
			_, err = o.config()
		}
		if err == nil {
			t.Errorf("%v: accepted", args)
		} else if strings.Contains(err.Error(), "c2hvcnQ=") {
			t.Errorf("%v: error shows the key: %v", args, err)
		}
	}
}

// TestTLSFlags starts the real binary with --tls-port and client
// certificates required: redis-cli --tls reaches it, and SIGHUP reloads
// replaced certificate files.
func TestTLSFlags(t *testing.T) {
	ca := tlstest.NewCA(t, "cmd")
	srv, cli := ca.Issue(t, "server"), ca.Issue(t, "client")
	port := strconv.Itoa(redistest.FreePort(t))
	cmd, _, _ := startBinary(t, "--tls-port", port, "--tls-cert-file", srv.CertFile, "--tls-key-file", srv.KeyFile,
		"--tls-ca-cert-file", ca.File, "--cluster-enabled=false")
	addr := net.JoinHostPort("127.0.0.1", port)
	poll.Until(t, 10*time.Second, "the TLS port to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	out, err := exec.Command(redistest.Binary(t, "redis-cli"), "--tls", "--cacert", ca.File, "--cert", cli.CertFile,
		"--key", cli.KeyFile, "-h", "127.0.0.1", "-p", port, "-a", "hunter2", "--no-auth-warning", "PING").CombinedOutput()
	if err != nil || string(out) != "PONG\n" {
		t.Fatalf("redis-cli --tls: %q %v", out, err)
	}
	serial := func() string {
		c, err := tls.Dial("tcp", addr, ca.ClientConfig(t, cli))
		if err != nil {
			t.Fatalf("TLS dial: %v", err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first, next := serial(), ca.Issue(t, "server-next")
	for _, f := range [][2]string{{next.CertFile, srv.CertFile}, {next.KeyFile, srv.KeyFile}} {
		b, _ := os.ReadFile(f[0])
		_ = os.WriteFile(f[1], b, 0o600)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the new certificate after SIGHUP", func() bool { return serial() != first })
}
