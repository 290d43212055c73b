#!/usr/bin/env bash
# test_slurm.sh [BUILD] - make test-slurm: run a sweep through a real Slurm.
#
# Starts a private one-node cluster on this machine - munged with its own
# key, slurmctld and slurmd, every file (config, state, spool, logs,
# sockets) in a temporary directory, ports chosen free - then emits a small
# plan with `smmusim sweep PLAN --emit slurm`, submits the array with
# sbatch, waits for it (squeue, and every job's status file, with a
# timeout), collects the table with `smmusim sweep --collect`, and compares
# it with a local `-j 2` run of the same plan: they must be identical.
# Everything it started is stopped on exit (trap), whatever happened.
#
# Needs root (slurmd runs the jobs; SlurmUser=root) and Debian's slurm-wlm
# and munge (./scripts/setup.sh --slurm). Works without systemd and without
# cgroups: proctrack/linuxproc, task/none, jobacct_gather/none, no
# accounting storage. SLURM_TIMEOUT (seconds, default 300) bounds the wait;
# KEEP=1 keeps the temporary directory. Exit status 0 when the tables are
# identical.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$(cd "$build" 2>/dev/null && pwd)/sim/smmusim
timeout=${SLURM_TIMEOUT:-300}

die() { echo "test-slurm: $*" >&2; exit 1; }

[ -x "$exe" ] || die "no $exe (build first: make build)"
[ "$(id -u)" = 0 ] || die "must run as root (slurmd starts the jobs)"
for t in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
	command -v "$t" >/dev/null || die "$t is missing (run ./scripts/setup.sh --slurm)"
done

tmp=$(mktemp -d /tmp/smmusim-slurm.XXXXXX) || die "cannot make a temporary directory"
# munged wants search (x) permission for all on its socket's directories.
chmod 0711 "$tmp"
pids=()
jobid=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$jobid" ] && [ -n "${SLURM_CONF:-}" ]; then
		scancel "$jobid" 2>/dev/null
	fi
	# Stop the daemons in reverse order of starting, by the ids we hold.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[$i]}" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "$rc" != 0 ]; then
		for l in slurmctld.log slurmd.log munged.log; do
			[ -s "$tmp/$l" ] && { echo "--- $tmp/$l (last lines)"; tail -n 15 "$tmp/$l"; } >&2
		done
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "test-slurm: kept $tmp" >&2; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on (bash's /dev/tcp connect fails).
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 200))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
base=$((20000 + $$ % 20000))
ctld_port=$(free_port "$base") || die "no free port"
slurmd_port=$(free_port $((ctld_port + 1))) || die "no free port"

# munge: our own key, socket and files; in the foreground so that we hold its pid.
mungekey --create --keyfile="$tmp/munge.key" >/dev/null 2>&1 ||
	dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 2>/dev/null
chmod 0400 "$tmp/munge.key"
munged --foreground --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" \
	--pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" \
	>>"$tmp/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge.sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge.sock" ] || die "munged did not start"

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<EOF
# A one-node cluster for make test-slurm (scripts/test_slurm.sh).
ClusterName=smmusim
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd, no cgroups: plain process tracking, no task containment.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=sweep Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping 2>/dev/null | grep -q UP || die "slurmctld did not come up"
slurmd -D -f "$SLURM_CONF" -N "$host" >>"$tmp/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 150); do
	state=$(sinfo -h -n "$host" -o %T 2>/dev/null)
	case "$state" in idle*) break ;; esac
	sleep 0.2
done
case "$state" in
idle*) ;;
*) scontrol show node "$host" >&2; die "node $host is '$state', not idle" ;;
esac

# The plan: 4 traces x 2 memory latencies, in TOML.
ex=$root/traces/examples
cat >"$tmp/plan.toml" <<EOF
traces = ["$ex/s1_basic.trace", "$ex/default.trace", "$ex/s2_basic.trace", "$ex/invalidate.trace"]
metrics = ["sim_time_ns", "dma.count", "dma.latency_ns.p99", "status"]

[grid]
t.mem_read = [50, 100]
EOF

t0=$(date +%s.%N)
"$exe" sweep "$tmp/plan.toml" -j 2 --out "$tmp/local" >"$tmp/local.txt" 2>&1 ||
	{ cat "$tmp/local.txt" >&2; die "the local run failed"; }
t1=$(date +%s.%N)
"$exe" sweep "$tmp/plan.toml" --out "$tmp/slurm" --emit slurm >"$tmp/emit.txt" 2>&1 ||
	{ cat "$tmp/emit.txt" >&2; die "--emit slurm failed"; }
njobs=$(wc -l <"$tmp/slurm/jobs.txt")
t2=$(date +%s.%N)
jobid=$(sbatch --parsable --chdir="$tmp" "$tmp/slurm/sweep.sbatch") || die "sbatch failed"
jobid=${jobid%%;*}
deadline=$(($(date +%s) + timeout))
while :; do
	left=$(squeue -h -j "$jobid" 2>/dev/null | wc -l)
	done_n=$(ls "$tmp/slurm"/job-*.status 2>/dev/null | wc -l)
	[ "$left" = 0 ] && [ "$done_n" = "$njobs" ] && break
	[ "$(date +%s)" -ge "$deadline" ] &&
		die "timed out after ${timeout}s: $done_n of $njobs jobs done, $left still queued"
	# Queue empty but a status file missing: a task failed before its line ran.
	if [ "$left" = 0 ]; then
		sleep 1
		[ "$(ls "$tmp/slurm"/job-*.status 2>/dev/null | wc -l)" = "$njobs" ] && break
		ls "$tmp/slurm"/slurm-*.out >/dev/null 2>&1 && tail -n 5 "$tmp/slurm"/slurm-*.out >&2
		die "the array left the queue with $done_n of $njobs jobs done"
	fi
	sleep 0.2
done
jobid_done=$jobid
jobid=
t3=$(date +%s.%N)
"$exe" sweep --collect "$tmp/slurm" >"$tmp/collect.txt" 2>&1 ||
	{ cat "$tmp/collect.txt" >&2; die "--collect failed"; }

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
if cmp -s "$tmp/local/results.csv" "$tmp/slurm/results.csv" &&
	cmp -s "$tmp/local/results.json" "$tmp/slurm/results.json"; then
	same=yes
else
	same=no
	diff "$tmp/local/results.csv" "$tmp/slurm/results.csv" >&2
fi
rows=$(($(wc -l <"$tmp/slurm/results.csv") - 1))
echo "test-slurm: $(slurmctld -V) on 1 node ($host, $cpus CPUs), array job $jobid_done"
echo "test-slurm: jobs=$njobs rows=$rows slurm_s=$(secs "$t2" "$t3") local_j2_s=$(secs "$t0" "$t1") identical=$same"
[ "$same" = yes ] || die "the Slurm table differs from the local one"
