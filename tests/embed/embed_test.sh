#!/usr/bin/env bash
# embed_test.sh - smmusim as its users get it: `cmake --install` of this
# build into a staging prefix, then examples/embed built out of tree against
# that prefix only (pkg-config, find_package) and run.
#
#   embed_test.sh install|c|systemc BUILD SRC WORK LIBDIR SANITIZE CC CXX TYPE WITH_SIM
#
# install  cmake --install BUILD --prefix WORK/stage (fresh), then checks the
#          tree: libraries static and shared with their SONAME links, every
#          installed header compiling on its own with only the prefix on the
#          include path, the pkg-config files, the installed smmusim (replay,
#          and `record` finding the installed preload library).
# c        examples/embed/c copied to WORK/c, built with its Makefile (shared
#          and static libsmmuv3) and run; `--break` must fail.
# systemc  examples/embed/systemc copied to WORK/systemc, configured with
#          CMAKE_PREFIX_PATH=WORK/stage, built (shared and static smmusim
#          libraries) and run; `--break` must fail.
# SANITIZE=ON (the ASan build): the installed libraries are instrumented,
# so the examples are built with the same -fsanitize flags.
set -u
mode=$1 BUILD=$2 SRC=$3 WORK=$4 LIBDIR=$5 SANITIZE=$6 CC=$7 CXX=$8 TYPE=$9 WITH_SIM=${10}
stage=$WORK/stage
# Under `make test` the outer make's flags (a jobserver it does not pass
# on) would reach the examples' builds.
unset MAKEFLAGS MFLAGS MAKELEVEL SMMUSIM_PRELOAD_LIB
export SC_COPYRIGHT_MESSAGE=DISABLE
export PKG_CONFIG_PATH=$stage/$LIBDIR/pkgconfig
san=""
[ "$SANITIZE" = ON ] && san="-fsanitize=address,undefined -fno-omit-frame-pointer"

log=$WORK/$mode.log
fails=0
fail() {
	echo "embed_test $mode: FAIL: $*"
	fails=$((fails + 1))
}
# Run a step quietly; on failure show its output.
step() {
	local what=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		fail "$what"
		tail -n 80 "$log"
		exit 1
	fi
}
# Run an example and keep its output in $out: exit status 0 (want=0), or
# non-zero with a FAIL line (want=1).
out=""
run_example() {
	local want=$1 exe=$2
	shift 2
	local rc name
	name="$(basename "$exe")${1:+ $*}"
	out=$("$exe" "$@" 2>&1)
	rc=$?
	echo "-- $name (exit status $rc)"
	echo "$out" | sed 's/^/   /'
	if [ "$want" = 0 ] && [ $rc != 0 ]; then
		fail "$name exited $rc"
	elif [ "$want" != 0 ] && [ $rc = 0 ]; then
		fail "$name exited 0: a wrong translation went unnoticed"
	elif [ "$want" != 0 ] && ! grep -q ": FAIL" <<<"$out"; then
		fail "$name: no FAIL line"
	fi
}
# Every argument is a line fragment the last example's output must hold.
expect_lines() {
	local l
	for l in "$@"; do
		grep -qF -- "$l" <<<"$out" || fail "no line with '$l'"
	done
}

case $mode in
install)
	rm -rf "$WORK"
	mkdir -p "$WORK"
	step "cmake --install" cmake --install "$BUILD" --prefix "$stage"
	lib=$stage/$LIBDIR
	libs="smmuv3 smmusim_pcie_ats smmusim_traces smmusim_shim"
	pcs="smmuv3 smmusim-pcie-ats smmusim-traces smmusim-shim"
	if [ "$WITH_SIM" = ON ]; then
		libs="$libs smmusim_systemc"
		pcs="$pcs smmusim-systemc"
	fi
	for l in $libs; do
		[ -f "$lib/lib$l.a" ] || fail "no $LIBDIR/lib$l.a"
		[ -f "$lib/lib$l.so.1.0.0" ] || fail "no $LIBDIR/lib$l.so.1.0.0"
		[ "$(readlink "$lib/lib$l.so.1")" = "lib$l.so.1.0.0" ] || fail "lib$l.so.1 -> ?"
		[ "$(readlink "$lib/lib$l.so")" = "lib$l.so.1" ] || fail "lib$l.so -> ?"
		soname=$(objdump -p "$lib/lib$l.so.1.0.0" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
		[ "$soname" = "lib$l.so.1" ] || fail "lib$l.so.1.0.0 has SONAME '$soname'"
	done
	[ -f "$lib/libsmmusim_preload.so" ] || fail "no $LIBDIR/libsmmusim_preload.so"
	[ "$WITH_SIM" != ON ] || [ -x "$stage/bin/smmusim" ] || fail "no bin/smmusim"
	for f in smmusimConfig.cmake smmusimConfigVersion.cmake smmusimTargets.cmake; do
		[ -f "$lib/cmake/smmusim/$f" ] || fail "no $LIBDIR/cmake/smmusim/$f"
	done

	# Every installed header on its own, with nothing but the prefix (and
	# SystemC) on the include path: no header reaches a file not installed.
	inc=$stage/include/smmusim
	nh=0
	for h in $(cd "$inc" && find smmu pcie_ats shim trc -name '*.h' | sort); do
		echo "#include <$h>" | $CC -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$inc" -x c - \
			>"$log" 2>&1 || { fail "<$h> does not compile alone (C)"; cat "$log"; }
		echo "#include <$h>" | $CXX -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I"$inc" -x c++ - \
			>"$log" 2>&1 || { fail "<$h> does not compile alone (C++)"; cat "$log"; }
		nh=$((nh + 1))
	done
	if [ "$WITH_SIM" = ON ]; then
		[ -f "$inc/smmusim/smmu_module.h" ] || fail "no include/smmusim/smmusim/smmu_module.h"
		cflags=$(pkg-config --cflags smmusim-systemc)
		for h in $(cd "$inc" && find smmusim -name '*.h' | sort); do
			echo "#include <$h>" | $CXX -std=c++17 -Wall -Wextra -Werror -fsyntax-only $cflags -x c++ - \
				>"$log" 2>&1 || { fail "<$h> does not compile alone"; cat "$log"; }
			nh=$((nh + 1))
		done
	fi
	[ $nh -ge 9 ] || fail "only $nh headers installed"

	# pkg-config: every file resolves, at this prefix; each library links
	# and runs from the prefix (shared, found through the rpath given).
	pkg-config --exists --print-errors $pcs || fail "pkg-config $pcs"
	[ "$(pkg-config --variable=prefix smmuv3)" = "$stage" ] ||
		fail "smmuv3.pc prefix is $(pkg-config --variable=prefix smmuv3), not $stage"
	cat >"$WORK/link.c" <<-'EOF'
		#include <stdio.h>
		#include <pcie_ats/pcie_ats.h>
		#include <shim/shim.h>
		#include <smmu/smmu.h>
		#include <trc/trace.h>
		int main(void)
		{
			struct pcie_ats_config c;
			pcie_ats_config_default(&c);
			printf("%s|%s|%s\n", smmu_strerror(0), shim_strerror(0), trc_strerror(0));
			return 0;
		}
	EOF
	step "link smmuv3 smmusim-pcie-ats smmusim-shim smmusim-traces" \
		$CC -std=c11 $san -o "$WORK/link" "$WORK/link.c" \
		$(pkg-config --cflags --libs smmuv3 smmusim-pcie-ats smmusim-shim smmusim-traces) \
		-Wl,-rpath,"$lib"
	step "run the linked program" "$WORK/link"
	ldd "$WORK/link" | grep -q "$lib/libsmmusim_shim.so.1" || fail "link: not the staged libsmmusim_shim"

	# The installed program (the SystemC platform's).
	if [ "$WITH_SIM" = ON ]; then
		step "installed smmusim replay" "$stage/bin/smmusim" replay "$SRC/traces/examples/default.trace"
	fi
	if [ "$WITH_SIM" = ON ] && [ "$SANITIZE" != ON ]; then
		# (A sanitized preload library cannot go into an unsanitized program.)
		step "installed smmusim record" "$stage/bin/smmusim" record -o "$WORK/rec.trace" -- cat /proc/self/maps
		grep -q "$lib/libsmmusim_preload.so" "$log" ||
			fail "installed smmusim record did not preload $LIBDIR/libsmmusim_preload.so"
	fi
	echo "embed_test install: $(find "$stage" -type f | wc -l) files in $stage, $nh headers checked"
	;;

c)
	rm -rf "$WORK/c"
	cp -r "$SRC/examples/embed/c" "$WORK/c"
	step "make (examples/embed/c)" env CC="$CC" CFLAGS="-O1 -g $san" LDFLAGS="$san" make -C "$WORK/c"
	for exe in embed_smmu embed_smmu_static; do
		run_example 0 "$WORK/c/$exe"
		expect_lines \
			"sid 1 stage 1: iova 0x40000000 -> pa 0x300000 (walk," \
			"\"hello from PA 0x300000\"" \
			"sid 1 stage 1: iova 0x40000010 -> pa 0x300010 (utlb," \
			"sid 2 stage 2: ipa 0x80000000 -> pa 0x304000 (walk, vmid 5) \"hello from PA 0x304000\"" \
			"sid 1 stage 1: iova 0x40001000 -> abort, event queue: 1 record(s), first F_TRANSLATION" \
			"embed_smmu: PASS"
		run_example 1 "$WORK/c/$exe" --break
	done
	ldd "$WORK/c/embed_smmu" | grep -q "$stage/$LIBDIR/libsmmuv3.so.1" ||
		fail "embed_smmu does not use the staged libsmmuv3.so.1"
	;;

systemc)
	rm -rf "$WORK/systemc" "$WORK/systemc-build"
	cp -r "$SRC/examples/embed/systemc" "$WORK/systemc"
	step "cmake (examples/embed/systemc)" cmake -S "$WORK/systemc" -B "$WORK/systemc-build" \
		-DCMAKE_PREFIX_PATH="$stage" -DCMAKE_BUILD_TYPE="$TYPE" -DCMAKE_CXX_COMPILER="$CXX" \
		-DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san"
	step "build (examples/embed/systemc)" cmake --build "$WORK/systemc-build" -j 2
	for exe in embed_systemc embed_systemc_static; do
		run_example 0 "$WORK/systemc-build/$exe"
		expect_lines \
			"dma: sid 1 read  iova 0x40000000 -> pa 0x300000 ok, walk" \
			"\"hello from PA 0x300000\"" \
			"dma: sid 1 write iova 0x40000100 -> pa 0x300100 ok, utlb: memory holds \"written by the DMA\"" \
			"dma: sid 2 read  ipa  0x80000000 -> pa 0x304000 ok, vmid 5: \"hello from PA 0x304000\"" \
			"dma: sid 1 read  iova 0x40001000 -> error response, event F_TRANSLATION" \
			"cpu: event-queue interrupt (1 pulse), 1 record: F_TRANSLATION sid 1 iova 0x40001000" \
			"embed_systemc: PASS"
		run_example 1 "$WORK/systemc-build/$exe" --break
	done
	ldd "$WORK/systemc-build/embed_systemc" | grep -q "$stage/$LIBDIR/libsmmusim_systemc.so.1" ||
		fail "embed_systemc does not use the staged libsmmusim_systemc.so.1"
	if ldd "$WORK/systemc-build/embed_systemc_static" | grep -q "libsmmusim_systemc"; then
		fail "embed_systemc_static uses libsmmusim_systemc.so"
	fi
	;;

*)
	echo "embed_test: unknown mode '$mode'" >&2
	exit 2
	;;
esac

if [ $fails != 0 ]; then
	echo "embed_test $mode: $fails failure(s)"
	exit 1
fi
echo "embed_test $mode: ok"
