#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on this machine, for the tests of the cluster path (tests/test_slurm.py):
# slurmctld + slurmd on localhost with munge authentication, one node with this machine's CPUs, state, spool and logs
# under DIR. Needs root and Debian's slurm-wlm + munge (`apt-get install -y slurm-wlm munge`; .ci/run installs them).
#
#   bash launch/local_slurm.sh start DIR    # idempotent; prints `export SLURM_CONF=DIR/slurm.conf`
#   SLURM_CONF=DIR/slurm.conf sbatch ...    # any SLURM client command, with this cluster's config
#   bash launch/local_slurm.sh stop DIR
#
# Exit status 2 with a message says why it cannot run here (no root, not installed); the tests skip with it.
set -euo pipefail

ACTION=${1:-}
DIR=${2:-}
if [[ -z "$ACTION" || -z "$DIR" ]]; then
  echo "usage: bash launch/local_slurm.sh start|stop|status DIR" >&2
  exit 64
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CONF="$DIR/slurm.conf"
export SLURM_CONF="$CONF"

cannot() {
  echo "local SLURM cluster unavailable: $*" >&2
  exit 2
}

stop() {
  for daemon in slurmd slurmctld munged; do
    if [[ -f "$DIR/$daemon.pid" ]]; then
      kill "$(cat "$DIR/$daemon.pid")" 2>/dev/null || true
      rm -f "$DIR/$daemon.pid"
    fi
  done
}

ready() {  # a fast "no" where no controller of DIR runs: scontrol ping would retry for a minute first
  [[ -f "$CONF" && -f "$DIR/slurmctld.pid" ]] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null || return 1
  scontrol ping 2>/dev/null | grep -q 'UP' && sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'
}

case "$ACTION" in
  stop)
    stop
    exit 0
    ;;
  status)
    if ready; then
      echo "up: export SLURM_CONF=$CONF"
      exit 0
    fi
    echo "down"
    exit 1
    ;;
  start) ;;
  *)
    echo "unknown action $ACTION: start, stop or status" >&2
    exit 64
    ;;
esac

[[ $(id -u) -eq 0 ]] || cannot "needs root (slurmd runs jobs as their users)"
for tool in slurmctld slurmd munged sbatch srun scontrol sinfo; do
  command -v "$tool" >/dev/null || cannot "$tool not found; install with: apt-get install -y slurm-wlm munge"
done

if [[ -f "$CONF" ]] && ready; then
  echo "export SLURM_CONF=$CONF"
  exit 0
fi
stop

HOST=$(hostname -s)
CPUS=$(nproc)
MEMORY=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"

# munge: its own key, socket and logs under DIR, so a system munge (if any) is left alone.
MUNGE_SOCKET="$DIR/munge/munge.socket"
[[ -f "$DIR/munge/munge.key" ]] || mungekey --create --keyfile="$DIR/munge/munge.key" >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1 count=1024 status=none
chmod 0600 "$DIR/munge/munge.key"
chmod 0700 "$DIR/munge"
munged --force --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCKET" --pid-file="$DIR/munged.pid" \
  --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munge.seed"

# MinJobAge=4, the most that keeps `sbatch --wait` polling every 2 s: with more it polls after 2, 10, 42, 74 ... s, so
# a job that ends at 11 s returns at 42 s (Slurm's sbatch.c, _job_wait). A finished job leaves `scontrol show job` a
# few seconds after its end (0, which an earlier version set, is raised to Slurm's minimum of 2), so tests read a
# job's end from `sbatch --wait`'s exit status. KillWait=5 (Slurm's default 30): a cancelled step's tasks get SIGKILL
# 5 s after SIGTERM. When `srun --kill-on-bad-exit` ends a job because one task died, the others are blocked in a
# collective with it and cannot act on SIGTERM; the default would keep the job 30 s longer.
cat >"$CONF" <<EOF
ClusterName=aeganlocal
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillOnBadExit=0
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=4
KillWait=5
NodeName=$HOST CPUs=$CPUS RealMemory=$MEMORY State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

slurmctld -f "$CONF" -i
slurmd -f "$CONF"
for _ in $(seq 1 60); do
  if ready; then
    echo "export SLURM_CONF=$CONF"
    exit 0
  fi
  scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
  sleep 0.5
done
cannot "the daemons did not come up within 30 s; see $DIR/slurmctld.log and $DIR/slurmd.log"
