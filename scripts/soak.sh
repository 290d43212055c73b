#!/usr/bin/env bash
# soak.sh [BUILD] - make soak: a long DMA stream through a pipe.
#
#   smmusim gen dma --dmas $SOAK_DMAS | smmusim replay - --quiet
#
# SOAK_DMAS (default 10^9) DMAs of a bare-metal device (TLB hits, the
# simulator's fastest path), made as they are read: no trace file, and the
# replay's memory must not grow with the length (the generator's trace ends
# with `expect stat dma.ok == N`, so a DMA that did not complete fails the
# run). SOAK_GEN=stream replays `smmusim gen stream --pkts $SOAK_DMAS`
# instead (the host DMA API: map, DMA, unmap per packet; much slower).
# Prints the DMAs, the wall time, the rate and the replay's peak RSS
# (/usr/bin/time when installed, else the kernel's VmHWM polled from /proc).
# Exit status: the replay's (or the generator's, if it failed).
set -u
build=${1:-build}
exe=$(cd "$build" 2>/dev/null && pwd)/sim/smmusim
n=${SOAK_DMAS:-1000000000}
kind=${SOAK_GEN:-dma}
[ -x "$exe" ] || { echo "soak: no $exe (build first: make build)" >&2; exit 1; }
case "$kind" in
dma) gen=("$exe" gen dma --dmas "$n") ;;
stream) gen=("$exe" gen stream --pkts "$n") ;;
*) echo "soak: SOAK_GEN is dma or stream" >&2; exit 1 ;;
esac
tmp=$(mktemp -d /tmp/smmusim-soak.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "soak: ${gen[*]} | smmusim replay - --quiet --no-progress"
t0=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
	"${gen[@]}" | /usr/bin/time -f '%M' -o "$tmp/rss" "$exe" replay - --quiet --no-progress \
		>"$tmp/out" 2>"$tmp/err"
	st=("${PIPESTATUS[@]}")
	rss_kb=$(tail -n 1 "$tmp/rss")
	how="/usr/bin/time"
else
	mkfifo "$tmp/pipe"
	"${gen[@]}" >"$tmp/pipe" &
	gpid=$!
	"$exe" replay - --quiet --no-progress <"$tmp/pipe" >"$tmp/out" 2>"$tmp/err" &
	rpid=$!
	rss_kb=0
	while kill -0 "$rpid" 2>/dev/null; do
		h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$rpid/status" 2>/dev/null)
		[ -n "$h" ] && [ "$h" -gt "$rss_kb" ] && rss_kb=$h
		sleep 0.2
	done
	wait "$gpid"
	g=$?
	wait "$rpid"
	st=("$g" "$?")
	how="VmHWM, polled"
fi
t1=$(date +%s.%N)
cat "$tmp/out" "$tmp/err"
awk -v n="$n" -v a="$t0" -v b="$t1" -v kb="$rss_kb" -v how="$how" -v s="${st[1]}" 'BEGIN {
	t = b - a
	printf "soak: %d DMAs in %.1f s: %.2f M DMA/s; replay peak RSS %.1f MiB (%s); exit status %d\n",
		n, t, n / t / 1e6, kb / 1024, how, s
}'
[ "${st[0]}" = 0 ] || { echo "soak: the generator failed (status ${st[0]})" >&2; exit 1; }
exit "${st[1]}"
