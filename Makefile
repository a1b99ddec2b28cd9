# Thin wrappers over the CMake presets in CMakePresets.json.
# `make run` and `make test` are the quick start; each installs what is missing first.
.PHONY: deps build run test test-asan bench bench-load bench-network fuzz format format-check clean sim

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

# End-to-end transfer load over JSON-RPC against a fresh `honeycomb dev`: committed tx/s, latency.
LOAD_TXS ?= 20000
LOAD_ACCOUNTS ?= 200
LOAD_BATCH ?= 100
LOAD_CONNECTIONS ?= 4
bench-load: build
	./build/release/bench/load_gen --txs $(LOAD_TXS) --accounts $(LOAD_ACCOUNTS) \
	  --batch $(LOAD_BATCH) --connections $(LOAD_CONNECTIONS)

# The same load against a fresh local 4-organisation network (honeycomb up), submitted to and
# tracked at the first node; every node checks every transaction's signature.
bench-network: build
	@dir=$$(mktemp -d); \
	./build/release/honeycomb up --orgs 4 --dir $$dir/net --base-port 31300 --rpc-port 18545 \
	  > $$dir/up.log 2>&1 & up=$$!; \
	./build/release/bench/load_gen --rpc http://127.0.0.1:18545 --txs $(LOAD_TXS) \
	  --accounts $(LOAD_ACCOUNTS) --batch $(LOAD_BATCH) --connections $(LOAD_CONNECTIONS); rc=$$?; \
	kill $$up; wait $$up; rm -rf $$dir; exit $$rc

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
	find src tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

format-check:
	find src tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
