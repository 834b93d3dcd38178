#!/usr/bin/env bash
# Runs aegan.train as NUM_PROCESSES CPU processes on this machine, each with DEVICES_PER_PROCESS fake CPU devices,
# joined by jax.distributed (gloo collectives): the multi-host code path without a cluster. Used by
# tests/test_multihost.py; handy to check a change to the data or step code before a cluster run.
#
# Needs: `pip install -e .` (nothing else). Logs go to $LOG_DIR/process_<i>.log (default: <workdir>/logs).
#
# Usage:
#   launch/local_multiprocess.sh NUM_PROCESSES DEVICES_PER_PROCESS --config=experiments/alphagan_ring8.py \
#       --workdir=/tmp/ring8_mp [--config.<key>=<value> ...]
# Environment: PORT (coordinator port, default 12355), PYTHON (default python), LOG_DIR.
# Exit status: 0 if every process succeeded, else the first failing process's status (the others are stopped).
set -euo pipefail

if [[ $# -lt 3 ]]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
num_processes=$1
devices_per_process=$2
shift 2

workdir=""
for arg in "$@"; do
  if [[ $arg == --workdir=* ]]; then workdir=${arg#--workdir=}; fi
done
if [[ -z $workdir ]]; then
  echo "error: pass --workdir=..." >&2
  exit 2
fi
log_dir=${LOG_DIR:-$workdir/logs}
mkdir -p "$log_dir"

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_all INT TERM  # a preemption signal reaches every process: each saves and exits

for ((i = 0; i < num_processes; i++)); do
  JAX_PLATFORMS=cpu JAX_NUM_CPU_DEVICES=$devices_per_process "${PYTHON:-python}" -m aegan.train "$@" \
    --distributed --coordinator_address="localhost:${PORT:-12355}" \
    --num_processes="$num_processes" --process_id="$i" >"$log_dir/process_$i.log" 2>&1 &
  pids+=("$!")
done

status=0
for i in "${!pids[@]}"; do
  while true; do
    code=0
    wait "${pids[$i]}" || code=$?
    # A trapped signal interrupts `wait` (status > 128) while the process is still saving: wait again.
    if [[ $code -gt 128 ]] && kill -0 "${pids[$i]}" 2>/dev/null; then continue; fi
    break
  done
  if [[ $code -ne 0 ]]; then
    echo "process $i failed (exit $code); see $log_dir/process_$i.log" >&2
    if [[ $status -eq 0 ]]; then
      status=$code
      stop_all
    fi
  fi
done
exit "$status"
