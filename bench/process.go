package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Process is a server started by the harness (redis-server or
// bin/cacheserver) on a loopback port, with its output in a log file.
// Kill sends SIGKILL (a crash); Stop sends SIGTERM and waits (a graceful
// shutdown). Either may be called more than once.
type Process struct {
	Addr string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// StartProcess runs bin with args, logging to logPath, and waits up to
// 10 s for addr to answer PING. The process is killed if it does not.
func StartProcess(ctx context.Context, bin string, args []string, addr, logPath string) (*Process, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	p := &Process{Addr: addr, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the process exits, joined by Kill/Stop
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	if err := p.waitReady(ctx, 10*time.Second); err != nil {
		p.Kill()
		return nil, fmt.Errorf("bench: %s %s: %w (log %s)", bin, strings.Join(args, " "), err, logPath)
	}
	return p, nil
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("exited early: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if ping(p.Addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG from %s within %v", p.Addr, timeout)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// ping sends an inline PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Stop sends SIGTERM and waits up to timeout, then kills.
func (p *Process) Stop(timeout time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Kill()
	}
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// StartRedis starts redis-server (persistence off) on a free port, with
// extra arguments appended (e.g. "--maxmemory", "1mb").
func StartRedis(ctx context.Context, bin, dir string, extra ...string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--daemonize", "no"}
	args = append(args, extra...)
	return StartProcess(ctx, bin, args, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(dir, fmt.Sprintf("redis-server-%d.log", port)))
}

// StartCacheserver starts a single ringcache node (a one-member cluster with
// a free gossip port) on a free port, with
// extra arguments appended (e.g. "--maxmemory", "1mb").
func StartCacheserver(ctx context.Context, bin, dir string, extra ...string) (*Process, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("bench: %s not found (go build -o bin/ ./cmd/cacheserver): %w", bin, err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--gossip-port", "0"}, extra...)
	return StartProcess(ctx, bin, args, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(dir, fmt.Sprintf("cacheserver-%d.log", port)))
}
