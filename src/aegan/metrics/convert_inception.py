"""Converts the PyTorch port of the 2015-12-05 Inception weights to the `.npz` that `aegan.eval` loads.

    python -m aegan.metrics.convert_inception --input=pt_inception-2015-12-05-6726825d.pth \
        --output=inception_2015_12_05.npz

Input: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (or torch-fidelity's identical
`weights-inception-2015-12-05-6726825d.pth`); reading a .pth needs torch, which only this converter uses. An `.npz`
whose keys are the torch state-dict names is accepted too (no torch needed). Mapping (docs/metrics.md):
conv OIHW -> HWIO; BatchNorm weight/bias -> params scale/bias, running_mean/var -> batch_stats mean/var; fc.weight
-> kernel transposed. `num_batches_tracked` is dropped. The output keys are '/'-joined Flax paths, plus the input's
sha256 (`source_sha256`), which the eval records.
"""

import os

import numpy as np
from absl import app, flags, logging

from aegan.metrics import inception

BN_NAMES = {
    'weight': ('params', 'scale'),
    'bias': ('params', 'bias'),
    'running_mean': ('batch_stats', 'mean'),
    'running_var': ('batch_stats', 'var'),
}


def read_state_dict(path: str) -> dict:
    if path.endswith('.npz'):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f'Reading {path} needs torch (`pip install torch`), for this conversion only. Alternatively save the state '
            'dict as an .npz of numpy arrays with the same key names and pass that.'
        ) from e
    state = torch.load(path, map_location='cpu', weights_only=True)
    return {k: v.numpy() for k, v in state.items()}


def convert(state_dict: dict) -> dict:
    """torch state dict -> {'params/...' or 'batch_stats/...': array} in the Flax layout of InceptionV3."""
    flat = {}
    for key, value in state_dict.items():
        value = np.asarray(value)
        parts = key.split('.')
        if parts[-1] == 'num_batches_tracked':
            continue
        if parts[0] == 'fc':
            flat['params/fc/' + {'weight': 'kernel', 'bias': 'bias'}[parts[1]]] = (
                value.T if parts[1] == 'weight' else value
            )
        elif parts[-2] == 'conv' and parts[-1] == 'weight':
            flat['params/' + '/'.join(parts[:-1]) + '/kernel'] = value.transpose(2, 3, 1, 0)
        elif parts[-2] == 'bn' and parts[-1] in BN_NAMES:
            collection, name = BN_NAMES[parts[-1]]
            flat[f'{collection}/' + '/'.join(parts[:-1]) + f'/{name}'] = value
        else:
            raise ValueError(f'Unexpected key {key!r}: is this the 2015-12-05 Inception (pytorch-fid port)?')
    return {k: v.astype(np.float32) for k, v in flat.items()}


def convert_file(input_path: str, output_path: str) -> str:
    """Converts, checks every shape against the Flax model, writes `output_path` atomically; returns the sha256."""
    if os.path.abspath(input_path) == os.path.abspath(output_path):
        raise ValueError('--output must differ from --input (the input is never overwritten).')
    sha = inception.sha256_of(input_path)
    if not sha.startswith(inception.EXPECTED_SHA256_PREFIX) and not input_path.endswith('.npz'):
        logging.warning(
            'sha256 of %s is %s..., not %s...: not the published file?',
            input_path,
            sha[:8],
            inception.EXPECTED_SHA256_PREFIX,
        )
    flat = convert(read_state_dict(input_path))
    tmp = output_path + '.tmp.npz'
    np.savez(tmp, source_sha256=np.array(sha), **flat)
    try:
        inception.load_variables(tmp)  # every key and shape, or a clear error
    except Exception:
        os.remove(tmp)
        raise
    os.replace(tmp, output_path)
    return sha


FLAGS = flags.FLAGS
flags.DEFINE_string('input', None, 'pt_inception-2015-12-05-6726825d.pth, or an .npz with the torch key names.')
flags.DEFINE_string('output', None, 'Where to write the converted .npz.')


def main(argv):
    del argv
    sha = convert_file(FLAGS.input, FLAGS.output)
    print(f'Wrote {FLAGS.output} (source sha256 {sha}).')


if __name__ == '__main__':
    flags.mark_flags_as_required(['input', 'output'])
    app.run(main)
