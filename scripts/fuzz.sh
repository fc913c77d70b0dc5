#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	dir=$(dirname "$file")
	for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "== $dir $name ($FUZZTIME)"
		"$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"
	done
done
