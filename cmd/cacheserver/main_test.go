package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"

	"github.com/ringcache/ringcache/internal/launch"
	"github.com/ringcache/ringcache/internal/store"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	code := m.Run()
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

func TestConfigFromFlagsEnvAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ringcache.conf")
	if err := os.WriteFile(file, []byte("maxclients 50\nmaxmemory-policy allkeys-lfu\ntimeout 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RINGCACHE_MAXMEMORY", "100mb")
	t.Setenv("RINGCACHE_TIMEOUT", "9")
	o, err := parseFlags([]string{"--config", file, "--port", "1234", "--requirepass", "pw"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case cfg.Addr != "127.0.0.1:1234":
		t.Errorf("Addr = %q", cfg.Addr)
	case cfg.Store.MaxMemory != 100<<20:
		t.Errorf("MaxMemory = %d (env)", cfg.Store.MaxMemory)
	case cfg.MaxClients != 50 || cfg.Store.Policy != store.AllKeysLFU:
		t.Errorf("MaxClients %d policy %v (file)", cfg.MaxClients, cfg.Store.Policy)
	case cfg.IdleTimeout != 9*time.Second:
		t.Errorf("IdleTimeout = %v: env must win over the file", cfg.IdleTimeout)
	case cfg.RequirePass != "pw":
		t.Errorf("RequirePass = %q", cfg.RequirePass)
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{{"--maxmemory", "lots"}, {"--maxmemory-policy", "nope"},
		{"--loglevel", "loud"}, {"--nosuchflag"}, {"--maxclients", "0"}, {"--port", "70000"}, {"--port", "-1"},
		{"--cluster-lease", "5s"}, {"--cluster-lease", "-1s"}, {"--gossip-profile", "local", "--cluster-lease", "1350ms"},
		{"--pprof"}, {"--admin-port", "70000"}} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, code, stderr.String())
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, io.Discard); code != 0 ||
		!strings.HasPrefix(out.String(), "cacheserver ") {
		t.Errorf("--version: %d %q", code, out.String())
	}
}

var addrRE = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// startBinary starts the built server on a free port and returns its
// address once it listens.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	return startBinaryEnv(t, nil, args...)
}

// startBinaryEnv is startBinary with extra environment variables.
func startBinaryEnv(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(launch.TestBinary(t), append([]string{"--port", "0", "--gossip-port", "0", "--requirepass", "hunter2"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &bytes.Buffer{}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return cmd, m[1], logs
		}
	}
	t.Fatalf("server exited before listening:\n%s", logs)
	return nil, "", nil
}

// TestSIGTERMDrains: commands the server has received when SIGTERM arrives
// are answered, then the process exits 0; the password is not logged.
func TestSIGTERMDrains(t *testing.T) {
	cmd, addr, logs := startBinary(t)
	if strings.Contains(logs.String(), "hunter2") {
		t.Fatalf("startup log leaks the password:\n%s", logs)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rd := bufio.NewReader(nc)
	const n = 200
	batch := "*2\r\n$4\r\nAUTH\r\n$7\r\nhunter2\r\n" + strings.Repeat("*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n", n)
	if _, err := nc.Write([]byte(batch)); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := rd.ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("AUTH reply %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		line, err := rd.ReadString('\n')
		if err != nil || line != ":"+strconv.Itoa(i)+"\r\n" {
			t.Fatalf("reply %d = %q, %v", i, line, err)
		}
	}
	if _, err := rd.ReadByte(); err == nil {
		t.Fatal("connection still open after drain")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}
