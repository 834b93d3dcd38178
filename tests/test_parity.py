"""Inception features, IS, FID, KID and PRDC against torch-fidelity, pytorch-fid and prdc with identical random
weights (tests/parity.py builds them; docs/metrics.md, "Parity"). Needs the parity extra:

    pip install -e '.[parity]' && python -m pytest -m parity tests

Without it these tests skip (the default CI install does not pull torch; docs/metrics.md, "Parity", says why).
"""

import jax
import numpy as np
import pytest

pytest.importorskip('torch_fidelity', reason="the parity extra is not installed: pip install -e '.[parity]'")
pytest.importorskip('pytorch_fid', reason="the parity extra is not installed: pip install -e '.[parity]'")

import parity  # noqa: E402  (tests/parity.py; needs the imports above)

pytestmark = [pytest.mark.parity, pytest.mark.xdist_group('parity')]  # one worker builds the weights once


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    return parity.build(seed=0, directory=str(tmp_path_factory.mktemp('parity')))


def test_ours_equals_the_references_within_the_stated_tolerances(setup):
    rows = parity.measure(setup)
    assert parity.failures(rows) == []
    quantities = {(r['quantity'], r['reference']) for r in rows}
    for expected in [
        ('resized 299x299 input', 'torch-fidelity'),
        ('pool3', 'torch-fidelity'),
        ('pool3', 'pytorch-fid'),
        ('logits_unbiased', 'torch-fidelity'),
        ('logits', 'torch-fidelity'),
        ('inception_score, each on its own features', 'torch-fidelity'),
        ('fid, each on its own features', 'pytorch-fid'),
        ('kid, each on its own features', 'torch-fidelity'),
        ('coverage, same features', 'prdc'),
    ]:
        assert expected in quantities
    assert {r['size'] for r in rows} == set(parity.SIZES)


def wrong_failures(setup, variables=None, head='logits_unbiased'):
    return {r['quantity'] for r in parity.failures(parity.measure(setup, (32,), variables, head))}


def test_one_transposed_kernel_fails(setup):
    """A converter that forgot to swap H and W of one 3x3 kernel (HWIO vs OIHW) in the middle of the network."""
    kernel = setup.variables['params']['Mixed_6a']['branch3x3']['conv']['kernel']
    broken = jax.tree.map(lambda x: x, setup.variables)
    broken['params']['Mixed_6a']['branch3x3']['conv']['kernel'] = kernel.transpose(1, 0, 2, 3)
    assert {'pool3', 'logits', 'fid, each on its own features'} <= wrong_failures(setup, broken)


def test_a_missing_batch_norm_eps_fails(setup):
    """var' = var - 1e-3 makes our rsqrt(var' + 1e-3) = rsqrt(var): a conversion that dropped BatchNorm's eps."""
    shifted = jax.tree_util.tree_map_with_path(
        lambda path, v: v - 1e-3 if path[-1].key == 'var' else v, setup.variables['batch_stats']
    )
    variances = [v for path, v in jax.tree_util.tree_leaves_with_path(shifted) if path[-1].key == 'var']
    assert len(variances) == 94 and min(float(np.min(v)) for v in variances) > 0  # still valid variances
    broken = {**setup.variables, 'batch_stats': shifted}
    assert {'pool3', 'logits_unbiased'} <= wrong_failures(setup, broken)


def test_the_biased_head_fails(setup):
    """The Inception score from the biased logits (pool3 @ W + b), which the original code does not use."""
    failed = wrong_failures(setup, head='logits')
    assert {'logits_unbiased', 'inception_score, each on its own features'} <= failed
