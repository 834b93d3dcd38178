#!/usr/bin/env bash
# Issue 11's three comparisons on one GPU, in one command, writing benchmarks/results/gpu/*.json:
#   the α-GAN iteration against its PyTorch twin (stacked_mnist and cifar10 nets at the configs' batch 64, cifar10
#   also at batch 512 with both layer algorithms; full float32 and TF32 on both sides), MS-SSIM against torchmetrics
#   (TensorFlow would run on the CPU), Inception against torchvision.
#
#   bash benchmarks/gpu.sh            # needs jax[cuda], torch, torchvision, torchmetrics on the machine
#   COPY_TO=DIR bash benchmarks/gpu.sh  # also copies each JSON to DIR as soon as it is written
#
# Then `python benchmarks/readme_table.py --write` puts the GPU rows into the README beside the CPU ones.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1  # JAX and PyTorch share the card
OUT_DIR=benchmarks/results/gpu
mkdir -p "$OUT_DIR"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
"$PYTHON" -c 'import jax, torch; print("jax", jax.__version__, jax.devices(), "| torch", torch.__version__)'
status=0
run() {  # run NAME ARGS...: benchmarks/NAME.py ARGS --out $OUT_DIR/NAME[suffix].json
  local json=$1; shift
  echo "$(date +%T) $json"
  "$PYTHON" "$@" --out "$OUT_DIR/$json" || status=1
  if [ -n "${COPY_TO:-}" ] && [ -f "$OUT_DIR/$json" ]; then cp "$OUT_DIR/$json" "$COPY_TO/"; fi
}
# Most informative first, so that a run cut off by the lease's time still returns what it finished (COPY_TO). The
# batch-512 step with each UpConv/DownConv algorithm ('matmul', the default on a GPU since 2026-11-27, and 'phases',
# the default before), then the metrics, then the batch-64 steps with the default. About 9-10 minutes on an H200, most
# of it XLA's first compiles (up to 87 s a step with 'matmul').
run vs_pytorch_batch512_matmul.json benchmarks/vs_pytorch.py experiments/alphagan_cifar10.py --batch_size 512 \
  --steps 30 --precision float32,tf32 --layers matmul
run vs_pytorch_batch512_phases.json benchmarks/vs_pytorch.py experiments/alphagan_cifar10.py --batch_size 512 \
  --steps 30 --precision float32,tf32 --layers phases
run metrics_speed.json benchmarks/metrics_speed.py --pairs 256 --ms_ssim_chunks 8 --inception_batch 50,500
run vs_pytorch.json benchmarks/vs_pytorch.py experiments/alphagan_stacked_mnist.py experiments/alphagan_cifar10.py \
  --steps 50 --precision float32,tf32
exit $status
