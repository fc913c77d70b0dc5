#!/usr/bin/env bash
# build-image.sh builds the ringcache image from a static binary built on
# this host (no base image, no build container): deploy/Dockerfile.
# Usage: deploy/build-image.sh [tag]   (default ringcache:latest)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-ringcache:latest}
ctx=$(mktemp -d -t ringcache-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/cacheserver" ./cmd/cacheserver
cp deploy/Dockerfile "$ctx/"
docker build -q -t "$tag" "$ctx"
echo "built $tag"
