#!/bin/sh
# run.sh BUILD_DIR - run every benchmark built in BUILD_DIR/bench and merge
# their output (each a flat JSON object, metric -> number) into one flat JSON
# object with sorted keys: BUILD_DIR/bench/results.json, also printed.
# Plain POSIX sh + awk + sort: no python, no jq. Fails if a benchmark fails,
# prints something that is not a flat object of numbers, or two benchmarks
# report the same metric.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
dir=$1/bench
[ -d "$dir" ] || { echo "bench: no $dir (build with -DSMMUSIM_BENCH=ON)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The single-threaded benchmarks run pinned to one CPU, the same for all
# (measurement and baseline on the same core): on a virtual machine the
# CPUs need not be equally fast (seen here: one 55 % slower than the other),
# and a process moved between them mid-run mixes the two. The faster CPU by
# a short busy loop; no taskset (util-linux): unpinned. sweep_bench (-j 2)
# and scale_bench (a writer thread beside the replay) run unpinned.
pin=""
if command -v taskset >/dev/null 2>&1 && [ "$(getconf _NPROCESSORS_ONLN)" -gt 1 ]; then
  best=""; bestt=""
  for c in $(seq 0 $(($(getconf _NPROCESSORS_ONLN) - 1))); do
    t0=$(date +%s%N)
    taskset -c "$c" sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'
    t=$(( $(date +%s%N) - t0 ))
    if [ -z "$bestt" ] || [ "$t" -lt "$bestt" ]; then best=$c; bestt=$t; fi
  done
  pin="taskset -c $best"
  echo "bench: single-threaded benchmarks pinned to CPU $best" >&2
fi

ran=""
for b in smmuv3_bench sim_bench trace_bench shim_bench oracle_bench dmaapi_bench preload_bench ats_bench sweep_bench scale_bench; do
  [ -x "$dir/$b" ] || continue
  echo "bench: running $b" >&2
  case $b in sweep_bench|scale_bench) run="" ;; *) run=$pin ;; esac
  if ! $run "$dir/$b" >"$tmp/$b.json"; then
    echo "bench: $b failed" >&2
    exit 1
  fi
  ran="$ran $b"
done
[ -n "$ran" ] || { echo "bench: no benchmark executables in $dir" >&2; exit 1; }

# key<TAB>value lines from every object, checked.
for b in $ran; do
  awk -v src="$b" '
    { text = text " " $0 }
    END {
      gsub(/[\t\r\n]/, " ", text)
      if (text !~ /^ *\{.*\} *$/) { print "bench: " src ": output is not a JSON object" > "/dev/stderr"; exit 1 }
      sub(/^ *\{/, "", text); sub(/\} *$/, "", text)
      n = split(text, items, ",")
      for (i = 1; i <= n; i++) {
        it = items[i]
        if (it ~ /^ *$/ && n == 1) continue
        if (!match(it, /^ *"[^"]+" *: */)) { print "bench: " src ": bad item: " it > "/dev/stderr"; exit 1 }
        head = substr(it, 1, RLENGTH); val = substr(it, RLENGTH + 1)
        sub(/ *$/, "", val)
        key = head; sub(/^ *"/, "", key); sub(/" *: *$/, "", key)
        if (val !~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) {
          print "bench: " src ": " key " is not a number: " val > "/dev/stderr"; exit 1
        }
        printf "%s\t%s\n", key, val
      }
    }' "$tmp/$b.json" >>"$tmp/all.tsv"
done

LC_ALL=C sort -t "$(printf '\t')" -k1,1 "$tmp/all.tsv" | awk -F '\t' '
  $1 == prev { print "bench: metric " $1 " reported twice" > "/dev/stderr"; exit 1 }
  { prev = $1; line[++n] = "  \"" $1 "\": " $2 }
  END {
    print "{"
    for (i = 1; i <= n; i++) print line[i] (i < n ? "," : "")
    print "}"
  }' >"$tmp/results.json"
mv "$tmp/results.json" "$dir/results.json"
cat "$dir/results.json"
