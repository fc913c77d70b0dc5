package store_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// Some measurements run in a fresh process, so that what earlier tests
// allocated does not pollute RSS and GC figures: the parent re-executes the
// test binary with -test.run of a child test and measureChildEnv naming the
// job; the child prints one line childResultPrefix + JSON, which the parent
// decodes.
const (
	measureChildEnv   = "RINGCACHE_MEASURE_CHILD"
	childResultPrefix = "MEASURE-RESULT "
)

// runChild runs the test named test in a fresh process of this test binary
// with job in measureChildEnv plus extra environment, and decodes the JSON
// it reports into out.
func runChild(t *testing.T, test, job string, out any, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v", "-test.timeout=30m")
	cmd.Env = append(append(os.Environ(), measureChildEnv+"="+job), env...)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", test, err, output)
	}
	for _, line := range bytes.Split(output, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte(childResultPrefix)); ok {
			if err := json.Unmarshal(rest, out); err != nil {
				t.Fatalf("child %s: bad result %q: %v", test, rest, err)
			}
			return
		}
	}
	t.Fatalf("child %s printed no result:\n%s", test, output)
}

// childJob returns this process's job, skipping the test when it is not a
// child started by runChild for that job.
func childJob(t *testing.T, job string) {
	t.Helper()
	if os.Getenv(measureChildEnv) != job {
		t.Skipf("helper process for %s; started by its parent test", job)
	}
}

// reportChild prints v for the parent.
func reportChild(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(append(append([]byte(childResultPrefix), b...), '\n'))
}

// envInt reads an integer environment variable, or def when unset.
func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return v
}
