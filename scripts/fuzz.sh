#!/usr/bin/env bash
# make fuzz: build the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/
# and run each for FUZZ_SECONDS (default 60), starting from its seed corpus
# in tests/fuzz/corpus/<target> (never modified: new inputs go to a working
# corpus in build-fuzz/). Prints executions, coverage and crashes per target;
# a crash is minimised and its reproducer copied to tests/fuzz/repro/<target>/
# (commit it: make test replays every reproducer), and the script exits 1.
#
#   scripts/fuzz.sh [TARGET...]     targets: trace smmu ioctl (default: all)
#   scripts/fuzz.sh --seeds         regenerate tests/fuzz/corpus/{smmu,ioctl}
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
BUILD="${FUZZ_BUILD:-build-fuzz}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

./scripts/setup.sh --fuzz

if [ "${1:-}" = "--seeds" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$JOBS" --target fuzz_seedgen >/dev/null
  rm -f tests/fuzz/corpus/smmu/* tests/fuzz/corpus/ioctl/*
  ./build/tests/fuzz/fuzz_seedgen tests/fuzz/corpus/smmu tests/fuzz/corpus/ioctl
  echo "fuzz: wrote $(ls tests/fuzz/corpus/smmu tests/fuzz/corpus/ioctl | wc -l) seeds"
  exit 0
fi

targets="${*:-trace smmu ioctl}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMMUSIM_FUZZ=ON \
  -DSMMUSIM_WITH_SIM=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
for t in $targets; do
  cmake --build "$BUILD" -j "$JOBS" --target "fuzz_$t" >/dev/null
done

status=0
printf '%-8s %12s %8s %8s %8s %8s\n' target execs exec/s cov ft crashes
for t in $targets; do
  work="$BUILD/fuzz-run/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  log="$work/log.txt"
  # -fork=0, one process: the machine has two cores and the run is timed.
  set +e
  "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" -timeout=10 -rss_limit_mb=4096 \
    "$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo 0)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || echo 0)
  ncrash=$(find "$work/crashes" -type f | wc -l)
  printf '%-8s %12s %8s %8s %8s %8s\n' "$t" "${execs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "$ncrash"
  if [ "$rc" != 0 ] || [ "$ncrash" != 0 ]; then
    status=1
    echo "fuzz: $t failed (exit $rc); log: $log" >&2
    grep -E 'ERROR|defect|SUMMARY' "$log" | head -5 >&2 || true
    mkdir -p "tests/fuzz/repro/$t"
    for c in "$work"/crashes/*; do
      [ -f "$c" ] || continue
      min="$work/crashes/min-$(basename "$c")"
      "$BUILD/tests/fuzz/fuzz_$t" -minimize_crash=1 -runs=20000 \
        -exact_artifact_path="$min" "$c" >/dev/null 2>&1 || true
      [ -f "$min" ] || min="$c"
      dest="tests/fuzz/repro/$t/$(basename "$c" | sed 's/^min-//')"
      cp "$min" "$dest"
      echo "fuzz: reproducer kept as $dest (replayed by make test)" >&2
    done
  fi
done
exit "$status"
