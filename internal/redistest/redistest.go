// Package redistest starts real Redis binaries (redis-server, and locates
// redis-cli and redis-benchmark) for tests that compare ringcache with Redis
// or drive it with Redis's own tools. Each server runs on a free loopback port
// in a temporary directory owned by the test and is stopped by t.Cleanup.
// A missing binary skips the test with a loud message, except when the
// environment has CI=true, where it fails the test: CI must run everything.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binary returns the path of the named executable (for example
// "redis-server"). When it is absent the test is skipped, or failed under
// CI=true.
func Binary(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("*** %s not found in PATH: this test needs it (apt-get install redis-server redis-tools) ***", name)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Server is a running redis-server started by StartServer.
type Server struct {
	Port int
	Addr string // "127.0.0.1:port"
	Dir  string
	cmd  *exec.Cmd
}

// StartServer starts redis-server on a free loopback port with persistence
// off, plus any extra arguments (for example "--cluster-enabled", "yes"), and
// waits until it answers PING. The server is stopped when the test ends.
func StartServer(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	bin := Binary(tb, "redis-server")
	dir := tb.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := FreePort(tb)
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no",
			"--logfile", dir + "/redis.log"}
		args = append(args, extra...)
		cmd := exec.Command(bin, args...)
		// A test binary that dies runs no cleanup: the kernel kills the
		// server then, so none is left behind.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start redis-server: %v", err)
		}
		s := &Server{Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, cmd: cmd}
		if lastErr = s.waitReady(10 * time.Second); lastErr == nil {
			tb.Cleanup(s.stop)
			return s
		}
		s.stop()
	}
	log, _ := os.ReadFile(dir + "/redis.log")
	tb.Fatalf("redis-server did not become ready: %v\n%s", lastErr, log)
	return nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		reply, err := s.Do("PING")
		if err == nil && reply == "+PONG" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG within %v: %v %q", timeout, err, reply)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// Do sends one command on a fresh connection and returns the first line of
// the reply (for example "+PONG" or ":12739"). It is meant for simple
// single-line replies in test set-up.
func (s *Server) Do(args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

func (s *Server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}
