#!/usr/bin/env bash
# Cloud TPU VM (single host or pod slice): installs aegan on every worker and starts the same training command on
# all of them at once (gcloud ... ssh --worker=all). On TPU VMs jax.distributed.initialize() (--distributed)
# finds the other workers by itself.
#
# Needs: gcloud authenticated for PROJECT; a TPU VM (e.g. `gcloud compute tpus tpu-vm create $TPU_NAME
# --zone=$ZONE --accelerator-type=v4-32 --version=tpu-ubuntu2204-base`); a git URL the workers can clone
# (REPO_URL, REF); the workdir and TFDS data on a bucket or disk every worker can read (gs:// paths work for
# both: Orbax and TFDS read and write Cloud Storage directly). Prepare the data once in ArrayRecord format:
#   python -c "import tensorflow_datasets as tfds; tfds.builder('cifar10', data_dir='gs://BUCKET/tensorflow_datasets', file_format='array_record').download_and_prepare()"
#
# Adapt: the variables below (or set them in the environment). Usage:
#   TPU_NAME=my-tpu ZONE=us-central2-b PROJECT=my-project BUCKET=my-bucket launch/tpu_vm.sh
#   ... launch/tpu_vm.sh --config.num_train_steps=200000     # extra arguments go to aegan.train
# Preemption (spot / maintenance): each worker gets SIGTERM, saves the checkpoint of its step and exits 0; run
# this script again with the same WORKDIR to resume.
set -euo pipefail

TPU_NAME=${TPU_NAME:?set TPU_NAME}
ZONE=${ZONE:?set ZONE}
PROJECT=${PROJECT:?set PROJECT}
BUCKET=${BUCKET:?set BUCKET}
REPO_URL=${REPO_URL:-https://github.com/aegan/aegan.git}
REF=${REF:-main}
CONFIG=${CONFIG:-experiments/alphagan_cifar10.py}
RUN_NAME=${RUN_NAME:-$(basename "$CONFIG" .py)}
WORKDIR=${WORKDIR:-gs://$BUCKET/runs/$RUN_NAME}
DATA_DIR=${DATA_DIR:-gs://$BUCKET/tensorflow_datasets}

# Quote every user argument for the remote shell.
extra_args=""
for arg in "$@"; do extra_args+=" $(printf '%q' "$arg")"; done

remote_command="set -euo pipefail
if [ ! -d aegan ]; then git clone $(printf '%q' "$REPO_URL") aegan; fi
cd aegan && git fetch --quiet origin && git checkout --quiet $(printf '%q' "$REF")
python3 -m pip install --quiet -e . 'jax[tpu]'
python3 -m aegan.train --config=$(printf '%q' "$CONFIG") --workdir=$(printf '%q' "$WORKDIR") \
  --config.data.data_dir=$(printf '%q' "$DATA_DIR") --distributed$extra_args"

gcloud compute tpus tpu-vm ssh "$TPU_NAME" --zone="$ZONE" --project="$PROJECT" --worker=all \
  --command="$remote_command"
