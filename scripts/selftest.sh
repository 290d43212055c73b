#!/bin/sh
# selftest.sh BUILD_DIR [--gate] - Linux's own iommufd selftest
# (tools/testing/selftests/iommu/iommufd.c of Debian's linux-source-6.12) run
# under libsmmusim_preload.so, as the external judge of the emulated kernel.
#
# The kernel source is unpacked at test time into BUILD_DIR/selftest (only
# the selftest, its harness, iommufd_test.h and the two uAPI headers it
# needs); nothing of it is copied into the repository. The 6.12 stable
# selftest uses a few uAPI names its own 6.12 headers lack (they came with
# later kernels): the copies under BUILD_DIR get them by sed/-D, with the
# values Linux 7.0 gives them.
#
# The emulated kernel answers IOMMU_TEST_CMD's mock-free ops
# (kernel.iommufd_test=on); tests that need the kernel's mock device (or
# hugetlb pages this machine does not have) are reported as skipped with
# that reason, never as passes. Prints
#   selftest: N passed, N failed, N skipped
# then FAIL/SKIP lines. Exit 0 when the suite ran (failures are listed, the
# caller decides; with --gate: 2 when a test failed), 1 when it could not
# build or run, 77 when the kernel source cannot be installed.
set -eu
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
LIB=$BUILD/uapi_shim/libsmmusim_preload.so
[ -r "$LIB" ] || { echo "selftest: $LIB is missing (build first)" >&2; exit 1; }
GATE=0
[ "${2:-}" = "--gate" ] && GATE=1
TARBALL=/usr/src/linux-source-6.12.tar.xz
if [ ! -r "$TARBALL" ]; then
	"$(dirname "$0")/setup.sh" --selftest >&2 || true
	[ -r "$TARBALL" ] || { echo "selftest: linux-source-6.12 is not installed and cannot be (skipped)" >&2; exit 77; }
fi

DIR=$BUILD/selftest
SRC=$DIR/linux-source-6.12
mkdir -p "$DIR"
if [ ! -f "$SRC/tools/testing/selftests/iommu/iommufd.c" ]; then
	echo "selftest: unpacking the iommufd selftest from $TARBALL" >&2
	tar -xJf "$TARBALL" -C "$DIR" \
		linux-source-6.12/tools/testing/selftests/iommu \
		linux-source-6.12/tools/testing/selftests/kselftest.h \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/drivers/iommu/iommufd/iommufd_test.h \
		linux-source-6.12/include/uapi/linux/iommufd.h \
		linux-source-6.12/include/uapi/linux/vfio.h
fi
INC=$DIR/include
mkdir -p "$INC/linux"
cp "$SRC/include/uapi/linux/vfio.h" "$INC/linux/vfio.h"
# struct iommu_hw_info: in_data_type shares out_data_type's word (7.0)
sed 's/^\t__u32 out_data_type;/\tunion { __u32 in_data_type; __u32 out_data_type; };/' \
	"$SRC/include/uapi/linux/iommufd.h" >"$INC/linux/iommufd.h"
BIN=$DIR/iommufd
echo "selftest: building iommufd" >&2
(cd "$SRC/tools/testing/selftests/iommu" &&
	cc -O2 -Wall -Wno-unused-function -D_GNU_SOURCE -I"$INC" \
		'-D__counted_by(x)=' -D__user= \
		-DIOMMU_HW_INFO_TYPE_DEFAULT=0 -DIOMMU_HW_INFO_FLAG_INPUT_TYPE=1 \
		-DMOCK_FLAGS_DEVICE_PASID=4 -DMOCK_PASID_WIDTH=20 \
		iommufd.c -o "$BIN") >"$DIR/build.log" 2>&1 || {
	echo "selftest: the build failed:" >&2
	tail -20 "$DIR/build.log" >&2
	exit 1
}

LOG=$DIR/iommufd.log
echo "selftest: running under $LIB" >&2
set +e
(cd "$DIR" && LD_PRELOAD=$LIB SMMUSIM_SET=kernel.iommufd_test=on timeout 1200 "$BIN") >"$LOG" 2>&1
rc=$?
set -e
if [ $rc -ge 124 ] || ! grep -q '^# Totals:' "$LOG"; then
	echo "selftest: the run did not complete (status $rc); see $LOG" >&2
	tail -5 "$LOG" >&2
	exit 1
fi

HUGE=$(awk '/^HugePages_Total:/{print $2}' /proc/meminfo 2>/dev/null || echo 0)
# One line per test: verdict<TAB>name<TAB>reason. A failed test is skipped
# when its output shows it needed the mock device (the emulated kernel says
# so for every mock op it is asked), a mock fixture, or hugetlb pages.
awk -v huge="${HUGE:-0}" '
	/^#  RUN / { name = $3; block = ""; next }
	/^(ok|not ok) [0-9]+ / {
		verdict = ($1 == "ok") ? "pass" : "fail"
		n = $0; sub(/^(ok|not ok) [0-9]+ /, "", n); sub(/ #.*/, "", n)
		reason = ""
		if ($0 ~ /# SKIP/) { verdict = "skip"; reason = $0; sub(/.*# SKIP */, "", reason) }
		else if (verdict == "fail") {
			if (block ~ /needs the kernel.s mock device/ || n ~ /(mock_domain|mock_domain_limit|two_mock_domain|dirty_tracking)/)
				{ verdict = "skip"; reason = "needs the kernel mock device (IOMMU_TEST_OP_MOCK_DOMAIN/CREATE_ACCESS), not emulated" }
			else if (huge == 0 && block ~ /MAP_FAILED/)
				{ verdict = "skip"; reason = "needs hugetlb pages (HugePages_Total is 0 here)" }
		}
		printf "%s\t%s\t%s\n", verdict, n, reason
		block = ""
		next
	}
	{ block = block "\n" $0 }
' "$LOG" >"$DIR/results.tsv"

pass=$(grep -c '^pass' "$DIR/results.tsv" || true)
fail=$(grep -c '^fail' "$DIR/results.tsv" || true)
skip=$(grep -c '^skip' "$DIR/results.tsv" || true)
echo "selftest: $pass passed, $fail failed, $skip skipped (Linux 6.12 tools/testing/selftests/iommu/iommufd, log $LOG)"
awk -F '\t' '$1 == "fail" { print "FAIL " $2 }' "$DIR/results.tsv"
awk -F '\t' '$1 == "skip" { print "SKIP " $2 ": " $3 }' "$DIR/results.tsv"
[ "$GATE" = 1 ] && [ "$fail" != 0 ] && exit 2
exit 0
