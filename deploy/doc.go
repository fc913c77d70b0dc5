// Package deploy holds ringcache's deployment files — the container image
// (Dockerfile, build-image.sh), a 3-node docker compose cluster, Kubernetes
// manifests (k8s/) and a Grafana dashboard (grafana/) — and the tests that
// check them: the compose cluster is built and run end to end where docker
// is available (TestComposeClusterLong, make test-long), the manifests and
// the compose file are parsed and checked against the server's flags, and
// the dashboard against the metrics real nodes serve. It has no Go API.
package deploy
