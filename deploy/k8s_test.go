package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ringcache/ringcache/internal/launch"
)

// doc is one parsed YAML document.
type doc = map[string]any

// k8sDocs parses every document of deploy/k8s/*.yaml, by kind/name.
func k8sDocs(t *testing.T) map[string]doc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s (%v)", err)
	}
	out := map[string]doc{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var d doc
			if err := dec.Decode(&d); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out[str(d, "kind")+"/"+str(d, "metadata", "name")] = d
		}
	}
	return out
}

// at walks a path of map keys and list indexes (int) through d.
func at(d any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := d.(map[string]any)
			d = m[k]
		case int:
			l, _ := d.([]any)
			if k >= len(l) {
				return nil
			}
			d = l[k]
		}
	}
	return d
}

func str(d any, path ...any) string { s, _ := at(d, path...).(string); return s }

// serverFlags returns the flag names the server binary accepts.
func serverFlags(t *testing.T) map[string]bool {
	t.Helper()
	out, _ := exec.Command(launch.TestBinary(t), "-help").CombinedOutput()
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z-]+)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if !flags["admin-port"] || !flags["join"] {
		t.Fatalf("could not read the server's flags from -help:\n%s", out)
	}
	return flags
}

// TestK8sManifests checks what the manifests promise: a headless Service
// publishing not-ready addresses for gossip, a PodDisruptionBudget, a
// StatefulSet whose pods take their node name from the pod name and
// advertise the pod IP, probe /livez and /readyz on the admin port the
// server is started with, drain on termination, and pass only flags the
// server accepts.
func TestK8sManifests(t *testing.T) {
	docs := k8sDocs(t)
	svc, sts, pdb := docs["Service/ringcache"], docs["StatefulSet/ringcache"], docs["PodDisruptionBudget/ringcache"]
	if svc == nil || sts == nil || pdb == nil {
		t.Fatalf("want Service, StatefulSet and PodDisruptionBudget ringcache; have %v", keys(docs))
	}
	if at(svc, "spec", "clusterIP") != "None" || at(svc, "spec", "publishNotReadyAddresses") != true {
		t.Errorf("Service ringcache must be headless with publishNotReadyAddresses: %v", at(svc, "spec"))
	}
	if str(sts, "spec", "serviceName") != "ringcache" {
		t.Errorf("StatefulSet serviceName = %q", str(sts, "spec", "serviceName"))
	}
	if at(pdb, "spec", "maxUnavailable") != 1 {
		t.Errorf("PodDisruptionBudget maxUnavailable = %v, want 1", at(pdb, "spec", "maxUnavailable"))
	}
	pod := at(sts, "spec", "template", "spec")
	if g, _ := at(pod, "terminationGracePeriodSeconds").(int); g < 35 {
		t.Errorf("terminationGracePeriodSeconds = %d: must cover the preStop wait and the 30 s drain", g)
	}
	c := at(pod, "containers", 0)
	if at(c, "lifecycle", "preStop") == nil {
		t.Error("no preStop hook")
	}
	checkEnv(t, c)
	checkProbes(t, c)
	checkJoin(t, sts, c)
	checkArgs(t, c, serverFlags(t))
}

// checkJoin: pods start in order and every pod's join list names every
// replica, so a restarted pod reaches the running ones (joining only
// itself would start a second cluster).
func checkJoin(t *testing.T, sts, c any) {
	t.Helper()
	if p := str(sts, "spec", "podManagementPolicy"); p != "" && p != "OrderedReady" {
		t.Errorf("podManagementPolicy %s: pods started at once may each find only themselves", p)
	}
	replicas, _ := at(sts, "spec", "replicas").(int)
	args, _ := at(c, "args").([]any)
	var join string
	for _, a := range args {
		if s := a.(string); strings.HasPrefix(s, "--join=") {
			join = strings.TrimPrefix(s, "--join=")
		}
	}
	for i := range replicas {
		if want := fmt.Sprintf("ringcache-%d.ringcache:7946", i); !strings.Contains(join, want) {
			t.Errorf("--join=%s does not name %s", join, want)
		}
	}
}

func keys(m map[string]doc) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkEnv: node name from the pod name, advertise the pod IP, password
// from a Secret (protected mode refuses clients of a node without one).
func checkEnv(t *testing.T, c any) {
	t.Helper()
	want := map[string]string{"RINGCACHE_NODE_NAME": "metadata.name", "RINGCACHE_ADVERTISE": "status.podIP",
		"RINGCACHE_REQUIREPASS": "secret"}
	env, _ := at(c, "env").([]any)
	for _, e := range env {
		f, ok := want[str(e, "name")]
		if ok && (str(e, "valueFrom", "fieldRef", "fieldPath") == f ||
			f == "secret" && str(e, "valueFrom", "secretKeyRef", "name") != "") {
			delete(want, str(e, "name"))
		}
	}
	if len(want) > 0 {
		t.Errorf("env lacks %v", want)
	}
}

// checkProbes: liveness /livez and readiness /readyz on the admin port,
// which is the port given to --admin-port.
func checkProbes(t *testing.T, c any) {
	t.Helper()
	ports := map[string]int{}
	list, _ := at(c, "ports").([]any)
	for _, p := range list {
		n, _ := at(p, "containerPort").(int)
		ports[str(p, "name")] = n
	}
	for probe, path := range map[string]string{"livenessProbe": "/livez", "readinessProbe": "/readyz", "startupProbe": "/livez"} {
		if str(c, probe, "httpGet", "path") != path || str(c, probe, "httpGet", "port") != "admin" {
			t.Errorf("%s: %v, want GET %s on port admin", probe, at(c, probe), path)
		}
	}
	args, _ := at(c, "args").([]any)
	if ports["admin"] == 0 || !contains(args, "--admin-port="+strconv.Itoa(ports["admin"])) {
		t.Errorf("admin containerPort %d is not the --admin-port in %v", ports["admin"], args)
	}
}

// checkArgs: every flag in args (and every RINGCACHE_ variable) is one the
// server accepts.
func checkArgs(t *testing.T, c any, flags map[string]bool) {
	t.Helper()
	args, _ := at(c, "args").([]any)
	for _, a := range args {
		name := strings.TrimPrefix(strings.SplitN(a.(string), "=", 2)[0], "--")
		if !flags[name] {
			t.Errorf("arg %v: the server has no flag %q", a, name)
		}
	}
	env, _ := at(c, "env").([]any)
	for _, e := range env {
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(str(e, "name"), "RINGCACHE_"), "_", "-"))
		if !flags[name] {
			t.Errorf("env %s: the server has no flag %q", str(e, "name"), name)
		}
	}
}

func contains(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestComposeFileFlags checks, without docker, that the compose file
// parses and passes only flags the server accepts.
func TestComposeFileFlags(t *testing.T) {
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	flags := serverFlags(t)
	for _, name := range []string{"node1", "node2", "node3"} {
		cmd, _ := at(d, "services", name, "command").([]any)
		if len(cmd) == 0 {
			t.Fatalf("service %s has no command", name)
		}
		for _, a := range cmd {
			if s := a.(string); strings.HasPrefix(s, "--") && !flags[strings.TrimPrefix(s, "--")] {
				t.Errorf("%s: the server has no flag %s", name, s)
			}
		}
	}
}
