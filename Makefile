# Thin wrappers over the CMake presets in CMakePresets.json.
# `make run` and `make test` are the quick start; each installs what is missing first.
.PHONY: deps build run test test-asan bench bench-load bench-state bench-network bench-targets bench-peers fuzz format format-check clean sim

FUZZ_SECONDS ?= 60
FUZZ_TARGETS = fuzz_rlp fuzz_transaction fuzz_x509 fuzz_rpc fuzz_eth_api fuzz_evm fuzz_frame fuzz_config fuzz_consensus fuzz_governance

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset release
	cmake --build --preset release

# A local 4-organisation consortium network, one process per node; Ctrl-C stops it. It lives
# in ./honeycomb-network, so a second `make run` continues the same chain. --demo then sends
# transfers through different nodes, deploys and calls a Solidity contract, and checks that every
# node has the same blocks, printing each step (src/cli/demo.h).
run: build
	./build/release/honeycomb up --orgs 4 --dir honeycomb-network --demo

test: build
	@lock=tests/e2e/package-lock.json; stamp=tests/e2e/node_modules/.package-lock.json; \
	if [ ! -f $$stamp ] || [ $$lock -nt $$stamp ]; then \
	  command -v npm >/dev/null || { echo "make test: npm (Node.js >= 18) is needed for the e2e test: install nodejs and npm" >&2; exit 1; }; \
	  echo "npm ci --prefix tests/e2e --no-audit --no-fund"; \
	  npm ci --prefix tests/e2e --no-audit --no-fund || exit 1; \
	fi
	ctest --preset release

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan
	ctest --preset asan

# The deterministic consensus simulation over seeds 1..SEEDS (n = 1, 4, 7; drops, delays,
# duplicates, partitions, crashes, Byzantine leaders). A failing seed prints its replay command.
SEEDS ?= 1000
sim: build
	./build/release/tests/consensus_sim --seeds $(SEEDS)

bench: build
	./build/release/bench/crypto_bench --benchmark_counters_tabular=true
	./build/release/bench/state_bench --benchmark_counters_tabular=true
	./build/release/bench/evm_bench --benchmark_counters_tabular=true
	./build/release/bench/parallel_bench --benchmark_counters_tabular=true
	./build/release/bench/commit_bench --benchmark_counters_tabular=true
	./build/release/bench/rpc_bench --benchmark_counters_tabular=true

# End-to-end load over JSON-RPC (`honeycomb bench`, src/cli/bench.h) against a fresh
# `honeycomb dev`: committed tx/s, latency, the node's CPU and peak RSS, and the bound.
LOAD_WORKLOAD ?= w1
LOAD_TXS ?= 40000
LOAD_ACCOUNTS ?= 10000
LOAD_BATCH ?= 100
LOAD_CONNECTIONS ?= 4
LOAD_RATE ?= 0
LOAD_TRANSPORT ?= http
BENCH_ARGS = --workload $(LOAD_WORKLOAD) --txs $(LOAD_TXS) --accounts $(LOAD_ACCOUNTS) \
  --batch $(LOAD_BATCH) --connections $(LOAD_CONNECTIONS) --rate $(LOAD_RATE) \
  --transport $(LOAD_TRANSPORT)
bench-load: build
	@dir=$$(mktemp -d); \
	./build/release/honeycomb dev --data-dir $$dir/data --rpc-addr 127.0.0.1:18600 --quiet \
	  --txpool-capacity 200000 > $$dir/node.log 2>&1 & node=$$!; \
	./build/release/honeycomb bench --rpc http://127.0.0.1:18600 $(BENCH_ARGS) --pid $$node; \
	rc=$$?; kill $$node; wait $$node; rm -rf $$dir; exit $$rc

# Peak RSS with a large state: a dev chain created with LOAD_STATE_ACCOUNTS generated accounts
# and restarted (creating the genesis is a one-off, not what a node holds), then the load above.
LOAD_STATE_ACCOUNTS ?= 1000000
bench-state: build
	@dir=$$(mktemp -d); \
	./build/release/honeycomb dev --data-dir $$dir/data --rpc-addr 127.0.0.1:18601 --quiet \
	  --genesis-accounts $(LOAD_STATE_ACCOUNTS) > $$dir/create.log 2>&1 & node=$$!; \
	for i in $$(seq 1200); do grep -q "JSON-RPC listening" $$dir/create.log && break; sleep 0.5; done; \
	grep -q "JSON-RPC listening" $$dir/create.log || { cat $$dir/create.log; kill $$node; exit 1; }; \
	kill $$node; wait $$node; \
	./build/release/honeycomb dev --data-dir $$dir/data --rpc-addr 127.0.0.1:18601 --quiet \
	  --txpool-capacity 200000 > $$dir/node.log 2>&1 & node=$$!; \
	for i in $$(seq 1200); do grep -q "JSON-RPC listening" $$dir/node.log && break; sleep 0.5; done; \
	./build/release/honeycomb bench --rpc http://127.0.0.1:18601 $(BENCH_ARGS) --pid $$node; \
	rc=$$?; kill $$node; wait $$node; rm -rf $$dir; exit $$rc

# The same load against a fresh local 4-organisation network (honeycomb up), submitted to and
# tracked at the first node; every node checks every transaction's signature, so the bound is
# divided by 4. CPU and RSS are reported for each node process.
bench-network: build
	@dir=$$(mktemp -d); \
	./build/release/honeycomb up --orgs 4 --dir $$dir/net --base-port 31300 --rpc-port 18545 \
	  --open > $$dir/up.log 2>&1 & up=$$!; \
	for i in $$(seq 300); do grep -q "Ctrl-C stops" $$dir/up.log && break; sleep 0.2; done; \
	pids=$$(grep -o "(pid [0-9]*" $$dir/up.log | awk '{print "--pid " $$2}'); \
	./build/release/honeycomb bench --rpc http://127.0.0.1:18545 $(BENCH_ARGS) --nodes 4 $$pids; \
	rc=$$?; kill $$up; wait $$up; rm -rf $$dir; exit $$rc

# The throughput targets judged on this machine: ROUNDS rounds of W1 and W2 on one node and W1 on
# four, medians against the targets, then p99 at half the rate and the 1,000,000-account RSS;
# exits 1 if one is missed (bench/targets.sh says how).
ROUNDS ?= 5
bench-targets: build
	ROUNDS=$(ROUNDS) bench/targets.sh

# The same presigned W1 and W2 against honeycomb dev, Hardhat's node and ganache, one table
# (bench/peers/README.md).
bench-peers: build
	cd bench/peers && npm ci --no-audit --no-fund && node peers.mjs

fuzz:
	@scripts/install-deps.sh --fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz-corpus/$$t; \
	  echo "== $$t for $(FUZZ_SECONDS)s"; \
	  ./build/fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz-corpus/$$t fuzz/seeds/$$t || exit 1; \
	done

format:
	find src tests bench fuzz -name node_modules -prune -o \( -name '*.h' -o -name '*.cc' \) -print | xargs clang-format -i

format-check:
	find src tests bench fuzz -name node_modules -prune -o \( -name '*.h' -o -name '*.cc' \) -print | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
