// Package pgtest starts a real PostgreSQL server for tests, from the Debian
// packages' binaries (/usr/lib/postgresql/<version>/bin: initdb, postgres).
// Each server gets a fresh cluster in the test's temporary directory, listens
// on a free 127.0.0.1 port (no Unix socket), trusts local connections, and is
// stopped by t.Cleanup. PostgreSQL refuses to run as root, so when the test
// runs as root the cluster is owned by, and the server runs as, the system
// user "postgres" that the Debian package creates. Missing binaries (or a
// missing postgres user under root) skip the test with a loud message, except
// when the environment has CI=true, where they fail it: CI must run
// everything.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the readiness check
)

// Server is a running PostgreSQL started by Start.
type Server struct {
	DSN  string // "postgres://postgres@127.0.0.1:<port>/postgres?sslmode=disable"
	Port int
	Dir  string // holds data/ and postgres.log

	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has been reaped
	waitErr  error
	stopOnce sync.Once
}

// readyTimeout bounds how long Start waits for the server to accept
// connections.
const readyTimeout = 60 * time.Second

// Start initialises a cluster and starts PostgreSQL, waiting until it accepts
// connections. The server is stopped when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := BinDir(tb)
	cred := runAs(tb)
	dir := dataRoot(tb, cred)
	initdb(tb, bin, dir, cred)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := launch(bin, dir, cred)
		if err != nil {
			tb.Fatalf("pgtest: start postgres: %v", err)
		}
		if lastErr = s.waitReady(readyTimeout); lastErr == nil {
			tb.Cleanup(s.Stop)
			return s
		}
		s.Stop()
	}
	log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
	tb.Fatalf("pgtest: postgres did not become ready: %v\n%s", lastErr, log)
	return nil
}

// BinDir returns the directory holding initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin, else the directory of initdb in PATH.
// When none is found the test is skipped, or failed under CI=true.
func BinDir(tb testing.TB) string {
	tb.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0])
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	skipOrFail(tb, "PostgreSQL binaries (initdb, postgres) not found under /usr/lib/postgresql/*/bin or in PATH: this test needs them (apt-get install postgresql)")
	return ""
}

// version extracts the major version from /usr/lib/postgresql/<v>/bin/initdb.
func version(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	msg = "*** pgtest: " + msg + " ***"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// runAs returns the credential to run PostgreSQL with: nil when the test is
// not root, else the "postgres" system user's.
func runAs(tb testing.TB) *syscall.Credential {
	tb.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		skipOrFail(tb, fmt.Sprintf("running as root and no 'postgres' user to run PostgreSQL as (%v): apt-get install postgresql creates it", err))
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		tb.Fatalf("pgtest: postgres user ids: %v", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// dataRoot makes a directory for the cluster inside tb.TempDir() that cred's
// user owns, and lets that user traverse the parents Go created 0700.
func dataRoot(tb testing.TB, cred *syscall.Credential) string {
	tb.Helper()
	base := tb.TempDir()
	dir := filepath.Join(base, "pg")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	if cred == nil {
		return dir
	}
	for _, p := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(p, 0o711); err != nil {
			tb.Fatalf("pgtest: %v", err)
		}
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dir
}

func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "TZ=UTC")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd
}

func initdb(tb testing.TB, bin, dir string, cred *syscall.Credential) {
	tb.Helper()
	cmd := command(cred, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
}

// launch starts postgres on a free port, its log going to dir/postgres.log.
func launch(bin, dir string, cred *syscall.Credential) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := command(cred, filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"),
		"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=50", "-c", "shared_buffers=16MB")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Port: port, Dir: dir, cmd: cmd, exited: make(chan struct{}),
		DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	return s, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until a query succeeds, the process exits, or timeout.
func (s *Server) waitReady(timeout time.Duration) error {
	db, err := sql.Open("pgx", s.DSN+"&connect_timeout=2")
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited: %v (last ping: %v)", s.waitErr, err)
		case <-time.After(20 * time.Millisecond): // polling interval, not synchronisation
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %v: %v", timeout, err)
		}
	}
}

// Stop shuts the server down (fast shutdown: SIGINT, then SIGKILL after 10 s)
// and waits for it to exit. It is safe to call more than once; tests call it
// to make the origin go down.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// Exec runs SQL statements (for example schema set-up) on the server.
func (s *Server) Exec(tb testing.TB, stmts ...string) {
	tb.Helper()
	db, err := sql.Open("pgx", s.DSN)
	if err != nil {
		tb.Fatalf("pgtest: open: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Fatalf("pgtest: exec %q: %v", strings.TrimSpace(q), err)
		}
	}
}
