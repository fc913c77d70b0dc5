package launch

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

var buildOnce struct {
	sync.Once
	path string
	err  error
}

// TestBinary builds the module's cacheserver once per test process, into
// os.TempDir()/ringcache-launch/<pid>, and returns its path; it fails tb
// when the build fails. Directories of processes no longer alive are
// removed first, so test runs do not pile binaries up.
func TestBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildOnce.err = err
			return
		}
		dir, err := processDir()
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path, buildOnce.err = Build(root, dir)
	})
	if buildOnce.err != nil {
		tb.Fatalf("launch: %v", buildOnce.err)
	}
	return buildOnce.path
}

// StartT starts a cluster for a test with the test binary and the test's
// temporary directory, and kills it when the test ends.
func StartT(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	if opts.Binary == "" {
		opts.Binary = TestBinary(tb)
	}
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	c, err := Start(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

func processDir() (string, error) {
	base := filepath.Join(os.TempDir(), "ringcache-launch")
	if ents, err := os.ReadDir(base); err == nil {
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
				_ = os.RemoveAll(filepath.Join(base, e.Name()))
			}
		}
	}
	dir := filepath.Join(base, strconv.Itoa(os.Getpid()))
	return dir, os.MkdirAll(dir, 0o755)
}
