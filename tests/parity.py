"""Our Inception metrics against torch-fidelity and pytorch-fid with identical random weights (docs/metrics.md).

The real 2015-12-05 weights cannot be downloaded here, but the reference *architectures* install from PyPI, and one
set of random weights runs every layer, pool, padding, resize and head as the real ones would. `measure()` builds
that set (nothing is downloaded), converts it with `python -m aegan.metrics.convert_inception` exactly as a user
converts the real file, feeds the same uint8 images to the three implementations and returns every difference;
tests/test_parity.py asserts them, `python tests/parity.py` prints the table for the README.

Needs the `parity` extra: pip install -e '.[parity]'.
"""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import unittest.mock

import numpy as np
import prdc
import pytorch_fid
import pytorch_fid.fid_score
import pytorch_fid.inception
import torch
import torch_fidelity
import torch_fidelity.feature_extractor_inceptionv3 as fidelity_inception
import torch_fidelity.interpolate_compat_tensorflow
import torch_fidelity.metric_fid
import torch_fidelity.metric_isc
import torch_fidelity.metric_kid

from aegan.metrics import fid, inception, inception_score
from aegan.metrics import prdc as aegan_prdc

SIZES = (32, 64, 299)
NUM_IMAGES = 32  # per set; two sets per size (FID and KID compare them)
KID_SUBSETS = 100
KID_SUBSET_SIZE = 16  # below NUM_IMAGES, so that the subsets differ and KID's std is not 0
PRDC_K = 5

# Tolerance per (quantity, reference), from measurement (docs/metrics.md, "Parity"; the measured values are in
# results/parity). Features differ by float32 reordering of the same sums (~1e-5 of their scale); scores from
# identical float64 features agree to rounding, except torch-fidelity's FID, which takes the trace of sqrt(S1 S2) from
# eigenvalues rather than scipy's sqrtm. "Own features" KID is looser: torch-fidelity computes its polynomial
# kernel in float32, and MMD^2 is a small difference of large sums.
TOLERANCES = {
    'resized 299x299 input': 1e-3,  # grey levels
    'pool3': 5e-5,
    'logits_unbiased': 5e-5,
    'logits': 5e-5,
    'inception_score, each on its own features': 1e-6,
    'inception_score_std, each on its own features': 5e-5,
    'fid, each on its own features': 1e-5,
    'kid, each on its own features': 1e-3,
    'kid_std, each on its own features': 1e-4,
    'fid, same features': 1e-6,
}
SAME_FEATURES_TOLERANCE = 1e-12  # every other 'same features' row

# The code this suite vouches for: results/parity/parity.json records their sha256, and a CI test (which needs no
# torch) fails when one changed since, with the command that measures the table again.
GUARDED_SOURCES = (
    'src/aegan/metrics/inception.py',
    'src/aegan/metrics/convert_inception.py',
    'src/aegan/metrics/fid.py',
    'src/aegan/metrics/inception_score.py',
    'src/aegan/metrics/prdc.py',
    'src/aegan/xla_cpu.py',  # the compiler options of the Inception program
    'tests/parity.py',
)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def source_digests() -> dict:
    return {path: inception.sha256_of(os.path.join(REPO, path)) for path in GUARDED_SOURCES}


def tolerance(row: dict) -> float:
    return TOLERANCES.get(row['quantity'], SAME_FEATURES_TOLERANCE)


def failures(rows: list[dict]) -> list[dict]:
    """The rows outside their tolerance (a NaN difference is a failure too)."""
    return [r for r in rows if not r['difference'] <= tolerance(r)]


def images(size: int, seed: int, n: int = NUM_IMAGES) -> np.ndarray:
    """uint8 [n, size, size, 3]: smooth random colour fields plus pixel noise, so that neighbouring pixels differ
    (the resize matters) and sets drawn with different seeds differ in distribution (`seed` also shifts the mean)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (n, 4, 4, 3))
    smooth = np.repeat(np.repeat(coarse, -(-size // 4), axis=1), -(-size // 4), axis=2)[:, :size, :size]
    noisy = smooth + rng.normal(0, 40, smooth.shape) + 20 * (seed % 3)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def random_reference_weights(seed: int) -> dict:
    """pytorch-fid's FID Inception (torchvision's Inception3, 1008 classes, no aux head, the FID blocks) with random
    parameters, as a torch state dict under the names of the published .pth, which torch-fidelity shares.

    Conv kernels He-normal; BatchNorm scale U(0.5, 1.5) and bias N(0, 0.2); the running statistics are the
    per-channel means and variances of one forward pass over random images (so every one of the 94 layers sees
    activations of order 1, as with real weights, and no ReLU is dead), with the var scaled by U(0.5, 2) so that
    they are not exactly the batch's; fc N(0, 0.05) (logits of a few units: a non-trivial Inception score).
    """
    generator = torch.Generator().manual_seed(seed)
    template = pytorch_fid.inception._inception_v3(num_classes=1008, aux_logits=False, weights=None).state_dict()
    with unittest.mock.patch.object(pytorch_fid.inception, 'load_state_dict_from_url', return_value=template):
        model = pytorch_fid.inception.fid_inception_v3()  # the download function is the only thing replaced
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith('conv.weight'):
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * np.sqrt(2 / fan_in))
            elif name.endswith('bn.weight'):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith('bn.bias'):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.2)
            elif name.startswith('fc.'):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.05)
        batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for bn in batch_norms:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average: one batch gives exactly its statistics
        model.train()
        calibration = torch.from_numpy(images(299, seed + 1000, 16)).permute(0, 3, 1, 2).float()
        model(((calibration - 128) / 128).contiguous())
        for bn in batch_norms:
            bn.running_var.mul_(torch.rand(bn.running_var.shape, generator=generator) * 1.5 + 0.5)
    return {k: v.clone() for k, v in model.state_dict().items()}


def convert_with_the_binary(state_dict: dict, directory: str) -> str:
    """Saves the .pth and runs the converter users run on the real file; returns the .npz path."""
    pth, npz = os.path.join(directory, 'random_inception.pth'), os.path.join(directory, 'random_inception.npz')
    torch.save(state_dict, pth)
    command = [sys.executable, '-m', 'aegan.metrics.convert_inception', f'--input={pth}', f'--output={npz}']
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, 'JAX_PLATFORMS': 'cpu'})
    if done.returncode != 0:
        raise RuntimeError(f'convert_inception failed on the random weights:\n{done.stderr[-2000:]}')
    return npz


def torch_fidelity_extractor(state_dict: dict, directory: str):
    path = os.path.join(directory, 'torch_fidelity_weights.pth')
    torch.save(state_dict, path)
    return fidelity_inception.FeatureExtractorInceptionV3(
        'inception-v3-compat', ['2048', 'logits_unbiased', 'logits'], feature_extractor_weights_path=path
    )


def pytorch_fid_network(state_dict: dict):
    """pytorch-fid's InceptionV3 up to pool3, without its own resize and [0, 1] -> [-1, 1] scaling: it is fed the
    TF-1 input that the other two compute (its own resize is F.interpolate, a different protocol; measured apart)."""
    with unittest.mock.patch.object(pytorch_fid.inception, 'load_state_dict_from_url', return_value=state_dict):
        return pytorch_fid.inception.InceptionV3([3], resize_input=False, normalize_input=False).eval()


def nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2)))


def relative(a, b) -> float:
    """max |a - b| / max |b|: the difference in units of the output's scale."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def scale_relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@dataclasses.dataclass
class Features:
    resized: np.ndarray  # the 299 x 299 input before (x - 128) / 128, grey levels
    pool3: np.ndarray
    logits_unbiased: np.ndarray
    logits: np.ndarray


def ours(variables, batch: np.ndarray) -> Features:
    resized = np.asarray(inception.legacy_resize_bilinear(np.asarray(batch, np.float32)))
    out = {k: np.asarray(v) for k, v in inception.features_of(variables, batch).items()}
    return Features(resized, out['pool3'], out['logits_unbiased'], out['logits'])


def torch_fidelity_features(extractor, batch: np.ndarray) -> Features:
    x = nchw(batch)
    resized = torch_fidelity.interpolate_compat_tensorflow.interpolate_bilinear_2d_like_tensorflow1x(
        x.float(), size=(299, 299), align_corners=False
    )
    with torch.no_grad():
        pool3, logits_unbiased, logits = extractor(x)
    return Features(resized.permute(0, 2, 3, 1).numpy(), pool3.numpy(), logits_unbiased.numpy(), logits.numpy())


def scores_of(features_a: Features, features_b: Features, library: str) -> dict:
    """IS of set a (10 splits, torch-fidelity's shuffle with RandomState(2020)), FID and KID of a vs b, computed by
    `library`: 'aegan', or 'torch_fidelity' on the features exactly as given (float32 from its network: its KID
    kernel then runs in float32, as in a real torch-fidelity run)."""
    if library == 'aegan':
        is_mean, is_std = inception_score.inception_score(features_a.logits_unbiased, 10, shuffle_seed=2020)
        kid_mean, kid_std = fid.kernel_inception_distance(
            features_a.pool3, features_b.pool3, KID_SUBSETS, KID_SUBSET_SIZE, 2020
        )
        fid_value = fid.fid_from_features(features_a.pool3, features_b.pool3)
        return dict(inception_score=is_mean, inception_score_std=is_std, fid=fid_value, kid=kid_mean, kid_std=kid_std)
    isc = torch_fidelity.metric_isc.isc_features_to_metric(
        torch.from_numpy(features_a.logits_unbiased), splits=10, shuffle=True, rng_seed=2020
    )
    a, b = torch.from_numpy(features_a.pool3), torch.from_numpy(features_b.pool3)
    stats = [torch_fidelity.metric_fid.fid_features_to_statistics(f) for f in (a, b)]
    kid = torch_fidelity.metric_kid.kid_features_to_metric(
        a, b, kid_subsets=KID_SUBSETS, kid_subset_size=KID_SUBSET_SIZE, rng_seed=2020, verbose=False
    )
    return dict(
        inception_score=isc['inception_score_mean'],
        inception_score_std=isc['inception_score_std'],
        fid=torch_fidelity.metric_fid.fid_statistics_to_metric(*stats, verbose=False)['frechet_inception_distance'],
        kid=kid['kernel_inception_distance_mean'],
        kid_std=kid['kernel_inception_distance_std'],
    )


def as_float64(features: Features) -> Features:
    return Features(*(np.asarray(getattr(features, f.name), np.float64) for f in dataclasses.fields(Features)))


@dataclasses.dataclass
class Setup:
    """The random weights in the three forms, built once, and the references' outputs per image size (they do not
    depend on our weights, so the deliberately wrong conversions reuse them)."""

    state_dict: dict
    variables: dict
    fidelity: object
    pytorch_fid: object
    references: dict = dataclasses.field(default_factory=dict)

    def reference(self, size: int):
        """(torch-fidelity's Features, pytorch-fid's pool3) of the two image sets of `size` px."""
        if size not in self.references:
            batches = [images(size, seed) for seed in (0, 1)]
            fidelity = [torch_fidelity_features(self.fidelity, b) for b in batches]
            with torch.no_grad():  # pytorch-fid gets the TF-1 input; its own resize is measured apart
                tf1_inputs = [nchw(inception.preprocess(b)) for b in batches]
                pool3 = [self.pytorch_fid(x)[0][:, :, 0, 0].numpy() for x in tf1_inputs]
            self.references[size] = batches, fidelity, pool3
        return self.references[size]


def build(seed: int = 0, directory: str | None = None) -> Setup:
    directory = directory or tempfile.mkdtemp(prefix='aegan_parity_')
    state_dict = random_reference_weights(seed)
    variables = inception.load_variables(convert_with_the_binary(state_dict, directory))
    return Setup(
        state_dict, variables, torch_fidelity_extractor(state_dict, directory), pytorch_fid_network(state_dict)
    )


def measure(setup: Setup, sizes=SIZES, variables=None, head: str = 'logits_unbiased') -> list[dict]:
    """Every comparison of the table, one row each: {'quantity', 'reference', 'size', 'difference', 'unit'}.
    `variables` replaces the converted weights (the deliberately wrong conversions); `head` is which of our logits
    feed our Inception score ('logits' = the biased head, the other deliberate error)."""
    variables = setup.variables if variables is None else variables
    rows = []

    def row(quantity, reference, size, difference, unit='relative'):
        rows.append(dict(quantity=quantity, reference=reference, size=size, difference=float(difference), unit=unit))

    for size in sizes:
        batches, theirs, fid_pool3 = setup.reference(size)
        mine = [ours(variables, b) for b in batches]
        if head == 'logits':
            mine = [dataclasses.replace(f, logits_unbiased=f.logits) for f in mine]
        resize_error = max(np.max(np.abs(m.resized - t.resized)) for m, t in zip(mine, theirs))
        row('resized 299x299 input', 'torch-fidelity', size, resize_error, 'grey levels')
        for name in ('pool3', 'logits_unbiased', 'logits'):
            error = max(relative(getattr(m, name), getattr(t, name)) for m, t in zip(mine, theirs))
            row(name, 'torch-fidelity', size, error)
        row('pool3', 'pytorch-fid', size, max(relative(m.pool3, p) for m, p in zip(mine, fid_pool3)))
        a, b = scores_of(*mine, 'aegan'), scores_of(*theirs, 'torch_fidelity')
        same = scores_of(*map(as_float64, mine), 'torch_fidelity')
        for name in a:
            row(f'{name}, each on its own features', 'torch-fidelity', size, scale_relative(a[name], b[name]))
            row(f'{name}, same features', 'torch-fidelity', size, scale_relative(a[name], same[name]))
        fid_of = lambda f1, f2: pytorch_fid.fid_score.calculate_frechet_distance(
            *fid.feature_statistics(f1), *fid.feature_statistics(f2)
        )
        row('fid, each on its own features', 'pytorch-fid', size, scale_relative(a['fid'], fid_of(*fid_pool3)))
        row('fid, same features', 'pytorch-fid', size, scale_relative(a['fid'], fid_of(mine[0].pool3, mine[1].pool3)))
        real, fake = mine[0].pool3, mine[1].pool3
        official = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=PRDC_K)
        for name, value in aegan_prdc.prdc(real, fake, PRDC_K, PRDC_K).items():
            if name in official:
                row(f'{name}, same features', 'prdc', size, abs(value - official[name]), 'absolute')
    return rows


def resize_protocols(size: int = 32) -> float:
    """Max difference, in grey levels, between the TF-1 resize (ours, torch-fidelity's) and pytorch-fid's own
    F.interpolate(bilinear, align_corners=False): a protocol difference, not an error (docs/metrics.md)."""
    batch = images(size, 0)
    tf1 = np.asarray(inception.legacy_resize_bilinear(np.asarray(batch, np.float32)))
    theirs = torch.nn.functional.interpolate(nchw(batch).float(), size=(299, 299), mode='bilinear', align_corners=False)
    return float(np.max(np.abs(tf1 - theirs.permute(0, 2, 3, 1).numpy())))


def versions() -> dict:
    return {
        'torch-fidelity': torch_fidelity.__version__,
        'pytorch-fid': pytorch_fid.__version__,
        'prdc': '0.2',
        'torch': torch.__version__,
    }


def table(rows: list[dict]) -> list[dict]:
    """One row per (quantity, reference): the largest difference over the image sizes, and its tolerance."""
    merged = {}
    for r in rows:
        key = (r['quantity'], r['reference'])
        if key not in merged or r['difference'] > merged[key]['difference']:
            merged[key] = {**r, 'tolerance': tolerance(r)}
    return list(merged.values())


def main(out: str) -> None:
    """Measures the table and writes it to `out`/parity.json and parity.md (the README's Metrics table reads them)."""
    rows = measure(build())
    summary = table(rows)
    record = {
        'command': 'python tests/parity.py results/parity',
        'versions': versions(),
        'sources': source_digests(),
        'num_images': NUM_IMAGES,
        'sizes': SIZES,
        'pytorch_fid_own_resize_vs_tf1_grey_levels': resize_protocols(),
        'rows': rows,
        'table': summary,
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'parity.json'), 'w') as f:
        json.dump(record, f, indent=1)
    versions_text = ', '.join(f'{k} {v}' for k, v in record['versions'].items())
    lines = [
        f'Measured by `{record["command"]}` ({versions_text}); {NUM_IMAGES} uint8 images per set, two sets per '
        f'size; each row is the largest difference over {"/".join(map(str, SIZES))} px.',
        '',
        '| quantity | reference | max difference | tolerance |',
        '|---|---|---|---|',
    ]
    for r in summary:
        unit = '' if r['unit'] == 'relative' else f' {r["unit"]}'
        lines.append(f'| {r["quantity"]} | {r["reference"]} | {r["difference"]:.2g}{unit} | {r["tolerance"]:.0e} |')
    resize = record['pytorch_fid_own_resize_vs_tf1_grey_levels']
    lines += [
        '',
        f"pytorch-fid's own resize (F.interpolate) differs from the TF-1 resize by up to {resize:.0f} grey levels.",
    ]
    with open(os.path.join(out, 'parity.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    bad = failures(rows)
    if bad:
        sys.exit(f'{len(bad)} rows outside their tolerance: {bad}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'results/parity')
