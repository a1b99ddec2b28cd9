#!/usr/bin/env bash
# Installs every build and test dependency of Honeycomb from Debian's packages.
# Idempotent: packages already present are left alone; only missing ones are installed.
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz adds clang and its fuzzer runtime)
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git
    libssl-dev            # OpenSSL 3: SHA-256, RIPEMD-160, SM3, P-256, Ed25519, SM2, X.509, TLS
    libsecp256k1-dev      # secp256k1 signing and public-key recovery
    librocksdb-dev        # embedded key-value storage
    libjemalloc-dev       # the node's memory allocator
    libboost-dev libboost-system-dev   # Asio / Beast
    nlohmann-json3-dev    # JSON (fixtures, JSON-RPC)
    libspdlog-dev libfmt-dev
    libcli11-dev          # command-line parsing
    libyaml-cpp-dev       # config files
    libgtest-dev libgmock-dev
    libbenchmark-dev
    clang-format
)
if [[ "${1:-}" == "--fuzz" || "${HONEYCOMB_FUZZ_DEPS:-}" == "1" ]]; then
    packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: not root and sudo is missing; install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
