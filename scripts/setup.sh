#!/usr/bin/env bash
# Idempotent set-up: install the Debian packages the build needs.
# Silent when everything is present. When not root, prints the exact
# command to run and stops.
set -eu
need_bench=0
need_fuzz=0
[ "${1:-}" = "--bench" ] && need_bench=1
[ "${1:-}" = "--fuzz" ] && need_fuzz=1
need_browser=0
[ "${1:-}" = "--browser" ] && need_browser=1
need_selftest=0
[ "${1:-}" = "--selftest" ] && need_selftest=1
need_slurm=0
[ "${1:-}" = "--slurm" ] && need_slurm=1

# parallel: GNU parallel runs a sweep in make test (the agreed engine).
pkgs="cmake g++ make pkg-config libsystemc-dev libgtest-dev zlib1g-dev libisal-dev parallel"
[ "$need_bench" = 1 ] && pkgs="$pkgs libglib2.0-dev"
# make fuzz only: clang and its runtime (libFuzzer, ASan, UBSan).
[ "$need_fuzz" = 1 ] && pkgs="$pkgs clang libclang-rt-14-dev"
# make browser-check only: headless Chromium renders the HTML report.
[ "$need_browser" = 1 ] && pkgs="$pkgs chromium"
# make selftest (and make test): the kernel source whose iommufd selftest
# judges the emulated kernel (unpacked at test time, never copied).
[ "$need_selftest" = 1 ] && pkgs="linux-source-6.12"
# make test-slurm only: a one-node Slurm (slurmctld, slurmd, sbatch) and the
# munge authentication it uses (scripts/test_slurm.sh starts and stops them).
[ "$need_slurm" = 1 ] && pkgs="slurm-wlm munge"

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
  echo "smmusim: missing packages:$missing" >&2
  echo "run as root:  $cmd" >&2
  exit 1
fi
echo "smmusim: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
