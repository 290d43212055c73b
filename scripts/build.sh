#!/usr/bin/env bash
# build.sh DIR BUILD_TYPE [CMAKE_OPTION...] [-- TARGET...]
#
# Configure (when needed) and build one tree for the Makefile, quietly: a
# tree that is up to date prints nothing, so `make run` shows only its
# reports. Otherwise a few lines say what happens (configuring, building,
# progress once a minute, done); the full output goes to DIR/configure.log and
# DIR/build.log, and on a failure the compiler's and make's messages are
# printed in full (only the progress chatter is left out).
#
# The tree is configured when it has never been, or when an option given
# here (-DNAME=VALUE, CMAKE_BUILD_TYPE included) differs from its cache;
# otherwise the build's own check re-runs CMake when a CMakeLists changed.
# JOBS (environment) is the build's -j, default nproc.
set -u -o pipefail
if [ $# -lt 2 ]; then
	echo "usage: build.sh DIR BUILD_TYPE [CMAKE_OPTION...] [-- TARGET...]" >&2
	exit 2
fi
dir=$1
type=$2
shift 2
opts=("-DCMAKE_BUILD_TYPE=$type")
targets=()
while [ $# -gt 0 ]; do
	if [ "$1" = -- ]; then
		shift
		targets=("$@")
		break
	fi
	opts+=("$1")
	shift
done
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# A make above us (make run) would hand its flags down to CMake's makes.
unset MAKEFLAGS MFLAGS MAKELEVEL

# Does the cache already hold every option? Anything not of the form
# -DNAME[:TYPE]=VALUE counts as a change.
cache_matches() {
	local cache=$dir/CMakeCache.txt o name value
	[ -f "$cache" ] && [ -f "$dir/Makefile" ] || return 1
	for o in "${opts[@]}"; do
		[[ $o =~ ^-D([A-Za-z0-9_]+)(:[A-Z]+)?=(.*)$ ]] || return 1
		name=${BASH_REMATCH[1]}
		value=${BASH_REMATCH[3]}
		grep -qxF -- "$name:$(grep -m1 "^$name:" "$cache" | sed 's/^[^:]*:\([A-Z]*\)=.*/\1/')=$value" \
			"$cache" || return 1
	done
}

if ! cache_matches; then
	if [ -f "$dir/CMakeCache.txt" ]; then
		echo "smmusim: configuring $dir (${opts[*]})..."
	else
		echo "smmusim: configuring $dir (first build, $type)..."
	fi
	mkdir -p "$dir"
	if ! cmake -S . -B "$dir" "${opts[@]}" >"$dir/configure.log" 2>&1; then
		cat "$dir/configure.log"
		echo "smmusim: configuring $dir failed (log: $dir/configure.log)" >&2
		exit 1
	fi
fi

start=$(date +%s)
args=(--build "$dir" -j "$jobs")
[ ${#targets[@]} -gt 0 ] && args+=(--target "${targets[@]}")
# The filter keeps the whole output in build.log and prints one line when
# real work starts, then, for a long build, its progress once a minute
# (make's percentage), and nothing at all for an up-to-date tree.
# (`srand()` returns the previous seed: the time of day, in any awk.)
cmake "${args[@]}" 2>&1 | awk -v logf="$dir/build.log" -v dir="$dir" -v jobs="$jobs" '
	function now(t) { srand(); t = srand(); return t }
	BEGIN { printf "" > logf; t0 = now(); last = t0 }
	{ print > logf }
	/^\[ *[0-9]+%\] (Building|Linking|Generating)|^Re-running CMake/ {
		if (!started) {
			started = 1
			printf "smmusim: building %s (-j %s; log: %s)...\n", dir, jobs, logf
			fflush()
		}
		if ($0 ~ /Building/) compiled++
		if ($0 ~ /Linking/) linked++
		if (match($0, /^\[ *[0-9]+%\]/) && now() - last >= 60) {
			last = now()
			printf "smmusim:   %s%% after %d min (%d compiled, %d linked)\n",
				substr($0, 2, RLENGTH - 3) + 0, (last - t0) / 60, compiled, linked
			fflush()
		}
	}
	END {
		close(logf)
		if (started) printf "%d %d\n", compiled, linked > "/dev/stderr"
	}' 2>"$dir/.build-counts"
rc=$?
if [ $rc != 0 ]; then
	# Everything but progress, "Built target", dependency consolidation and
	# make's directory changes: compiler and make errors in full.
	grep -Ev '^\[ *[0-9]+%\] |^Consolidate compiler generated dependencies|^g?make(\[[0-9]+\])?: (Entering|Leaving) directory' \
		"$dir/build.log"
	echo "smmusim: building $dir failed (full log: $dir/build.log)" >&2
	exit $rc
fi
if [ -s "$dir/.build-counts" ]; then
	read -r compiled linked <"$dir/.build-counts"
	warnings=$(grep -c 'warning:' "$dir/build.log")
	echo "smmusim: built $dir in $(($(date +%s) - start)) s ($compiled compiled, $linked linked$([ "$warnings" != 0 ] && echo ", $warnings warnings in the log"))"
fi
rm -f "$dir/.build-counts"
