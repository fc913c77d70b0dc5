# ringcache — run `make help` for the list of targets.
GO        ?= go
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 30s
BIN       := bin

.DEFAULT_GOAL := help

.PHONY: help build test test-long test-faults bench bench-go bench-resp bench-cluster compat lint fuzz run clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the binaries into bin/
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

test: ## run every test with the race detector (fuzz seed corpora included)
	$(GO) test -race -trimpath -count=1 -timeout 15m ./...

test-long: ## slow variants of tests (top-level names ending in Long, skipped unless RINGCACHE_LONG=1); not part of make test
	RINGCACHE_LONG=1 $(GO) test -race -count=1 -timeout 60m -run 'Long$$' ./...

test-faults: build ## fault suite (root, ~3 min): crash, pause, partitions, churn... under load, history checked; report in bench/results/
	$(BIN)/cachebench faults -bin $(BIN)/cacheserver -lan crash-primary -out bench/results/$$(date -u +%Y%m%dT%H%M%SZ)-faults

bench: build ## standard suite (< 3 min): redis-server vs ringcache node vs 3-node cluster, Go SDK L1 on/off, hit ratio; report in bench/results/
	$(BIN)/cachebench suite -out bench/results/$$(date -u +%Y%m%dT%H%M%SZ)

bench-go: ## Go benchmarks of every package, 5 runs each
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee bench.out

bench-resp: ## redis-server vs cacheserver with redis-benchmark, side by side (minutes)
	./scripts/bench-resp.sh

bench-cluster: ## 3-node cluster vs one node (moved + redis-benchmark --cluster, forward + plain), side by side
	./scripts/bench-cluster.sh

compat: ## Valkey's test units (string, expire, multi, tracking, ...) against a node and redis-server, ok/err per unit side by side
	./scripts/compat.sh

lint: ## gofmt check, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./scripts/fuzz.sh

run: build ## local 3-node cluster (RESP 7379-7381, admin 9379-9381); ARGS="--redirect moved" passes flags; Ctrl-C stops it
	@BIN=$(BIN)/cacheserver ./scripts/run-cluster.sh $(ARGS)

clean: ## remove build output
	rm -rf $(BIN) bench.out
