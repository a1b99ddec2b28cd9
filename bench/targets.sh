#!/usr/bin/env bash
# The throughput targets, checked on this machine (docs/performance.md, "The targets"):
#   W1 on one node (honeycomb dev)          >= 20,000 tx/s
#   W1 on four nodes (honeycomb up)         >= 6,000 tx/s
#   W2 (ERC20) against W1, paired by round  >= 70 %
#   p99 at half of W1's rate on one node    <= 1,000 ms
#   peak RSS with 1,000,000 accounts        <= 1,024 MiB
# A VM's speed can drift by a sixth within minutes, so one run says little: ROUNDS rounds run W1,
# W2 and the four nodes back to back, and each throughput target is judged on the median over
# the rounds; every run is printed. Then W1 at half the median W1 rate (p99) and the large state
# (RSS) run once. Exits 1 if a target is missed or a run fails.
#
# Usage: bench/targets.sh (or make bench-targets) with ROUNDS (5), TXS (60,000 per one-node run),
# NET_TXS (40,000 per four-node run), STATE_TXS (20,000), STATE=0 to leave out the large state.
# Each run is one of the make targets below, with these sizes: the same commands as the tables.
set -uo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
TXS=${TXS:-60000}
NET_TXS=${NET_TXS:-40000}
STATE_TXS=${STATE_TXS:-20000}
STATE=${STATE:-1}
failed=0

# Runs one make target (built already: -o skips the build step) and prints its report; on an
# error prints the output to stderr and returns 1 (the caller marks the check failed).
run() {
    local out
    if ! out=$(make -s -o build -o deps "$@" 2>&1); then
        printf "FAILED: make %s\n%s\n" "$*" "$out" >&2
        return 1
    fi
    if ! grep -q "committed *\([0-9]*\) of \1 (rejected 0, failed 0)" <<<"$out"; then
        printf "FAILED: make %s left transactions uncommitted, rejected or failed:\n%s\n" "$*" "$out" >&2
        return 1
    fi
    echo "$out"
}
steady() { awk '/steady tx\/s/ {printf "%d", $3}' <<<"$1"; }
p99() { awk '/latency/ {for (i = 1; i <= NF; ++i) if ($i == "p99") printf "%d", $(i + 1)}' <<<"$1"; }
peak_rss() { awk '/peak RSS/ {v = $(NF - 1); if (v > m) m = v} END {printf "%d", m}' <<<"$1"; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
verdict() {  # name, value, comparison (ge or le), target, unit
    local sign=">=" word=PASS
    [ "$3" = le ] && sign="<="
    if [ "$(awk -v v="$2" -v t="$4" -v c="$3" 'BEGIN {print (c == "ge" ? v >= t : v <= t)}')" != 1 ]; then
        word=FAIL failed=1
    fi
    printf "  %s  %-44s %s %s (target %s %s)\n" "$word" "$1" "$2" "$5" "$sign" "$4"
}

make -s build >/dev/null || { echo "FAILED: make build" >&2; exit 1; }
echo "== bench/targets.sh at $(git rev-parse --short HEAD 2>/dev/null || echo '?'): $ROUNDS rounds"
w1s=() w2s=() ratios=() nets=()
for r in $(seq "$ROUNDS"); do
    out=$(run bench-load LOAD_TXS="$TXS" LOAD_WORKLOAD=w1) || { failed=1; continue; }
    w1=$(steady "$out")
    out=$(run bench-load LOAD_TXS="$TXS" LOAD_WORKLOAD=w2) || { failed=1; continue; }
    w2=$(steady "$out")
    out=$(run bench-network LOAD_TXS="$NET_TXS") || { failed=1; continue; }
    net=$(steady "$out")
    ratio=$(awk -v a="$w2" -v b="$w1" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}')
    w1s+=("$w1") w2s+=("$w2") ratios+=("$ratio") nets+=("$net")
    echo "round $r: one node W1 $w1 tx/s, W2 $w2 tx/s ($ratio % of W1); four nodes W1 $net tx/s"
done
[ ${#w1s[@]} -eq 0 ] && { echo "FAILED: no round completed" >&2; exit 1; }

w1_median=$(printf "%s\n" "${w1s[@]}" | median)
half=$(awk -v m="$w1_median" 'BEGIN {printf "%d", m / 2}')
echo "half of the median W1 rate: $half tx/s offered"
if out=$(run bench-load LOAD_TXS="$TXS" LOAD_WORKLOAD=w1 LOAD_RATE="$half"); then
    half_p99=$(p99 "$out")
else
    failed=1
fi
if [ "$STATE" != 0 ]; then
    if out=$(run bench-state LOAD_TXS="$STATE_TXS"); then state_rss=$(peak_rss "$out"); else failed=1; fi
fi

echo "== medians over ${#w1s[@]} rounds (runs: W1 ${w1s[*]}; W2 ${w2s[*]}; four nodes ${nets[*]})"
verdict "W1, one node (median)" "$w1_median" ge 20000 "tx/s"
verdict "W1, four nodes (median)" "$(printf "%s\n" "${nets[@]}" | median)" ge 6000 "tx/s"
verdict "W2 against W1 in the same round (median)" "$(printf "%s\n" "${ratios[@]}" | median)" ge 70 "%"
[ -n "${half_p99:-}" ] && verdict "p99 at $half tx/s (half of W1), one node" "$half_p99" le 1000 "ms"
[ -n "${state_rss:-}" ] && verdict "peak RSS, 1,000,000 accounts" "$state_rss" le 1024 "MiB"
[ "$failed" = 0 ] && echo "all targets met" || echo "some target missed or a run failed"
exit "$failed"
