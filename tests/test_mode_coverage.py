"""Mode coverage on constructed samples with known answers."""

import numpy as np
import pytest

from aegan.data.mixtures import grid_centers, ring_centers
from aegan.metrics.mode_coverage import mixture_coverage, stacked_mnist_coverage, uniform_multinomial_kl


def test_all_modes_evenly():
    centers = ring_centers()
    samples = np.repeat(centers, 10, axis=0) + 0.01 * 0.5  # 0.7 std away: high quality
    result = mixture_coverage(samples, centers, 0.01)
    assert result == {'modes': 8, 'high_quality_fraction': 1.0, 'reverse_kl': pytest.approx(0.0, abs=1e-12)}


def test_one_mode_only():
    centers = grid_centers()
    result = mixture_coverage(np.repeat(centers[3:4], 50, axis=0), centers, 0.05)
    assert result['modes'] == 1 and result['high_quality_fraction'] == 1.0
    assert result['reverse_kl'] == pytest.approx(np.log(25))


def test_far_points_count_for_nothing():
    centers = ring_centers()
    far = np.array([[0.0, 0.0], [5.0, 5.0], [1.0 + 0.031, 0.0]])  # last one: 3.1 std from mode 0
    result = mixture_coverage(far, centers, 0.01)
    assert result['modes'] == 0 and result['high_quality_fraction'] == 0.0 and result['reverse_kl'] == float('inf')


def test_mixed():
    centers = ring_centers()
    samples = np.concatenate([centers[:2], centers[:1], [[0.0, 0.0]]])  # modes 0, 1, 0 and a miss
    result = mixture_coverage(samples, centers, 0.01)
    assert result['modes'] == 2 and result['high_quality_fraction'] == 0.75
    p = np.array([2, 1]) / 3
    assert result['reverse_kl'] == pytest.approx(float(np.sum(p * np.log(p * 8))))


def constant_digit_images(triples):
    """[n, 3] digit triples -> [n, 28, 28, 3] images whose channel c is the constant d_c / 10."""
    return np.broadcast_to(np.asarray(triples, np.float32)[:, None, None, :] / 10, (len(triples), 28, 28, 3))


def read_digit(channel):  # a perfect, certain "classifier" for constant_digit_images: one-hot probabilities
    return np.eye(10)[np.round(channel.mean(axis=(1, 2, 3)) * 10).astype(int)]


def test_stacked_mnist_all_one_and_some_modes():
    every = np.stack(np.unravel_index(np.arange(1000), (10, 10, 10)), axis=1)  # all 1,000 triples once
    result = stacked_mnist_coverage(constant_digit_images(every), read_digit)
    assert result['modes'] == 1000 and result['reverse_kl'] == pytest.approx(0.0, abs=1e-12)
    assert np.all(result['histogram'] == 1)
    one = stacked_mnist_coverage(constant_digit_images([[3, 1, 4]] * 20), read_digit)
    assert one['modes'] == 1 and one['reverse_kl'] == pytest.approx(np.log(1000)) and one['histogram'][314] == 20
    two = stacked_mnist_coverage(constant_digit_images([[0, 0, 7]] * 3 + [[9, 9, 9]]), read_digit)
    p = np.array([3, 1]) / 4
    assert two['modes'] == 2 and two['reverse_kl'] == pytest.approx(float(np.sum(p * np.log(p * 1000))))
    assert result['confident_fraction'] == 1.0
    with pytest.raises(ValueError, match=r'must be \[n, 28, 28, 3\]'):
        stacked_mnist_coverage(np.zeros((2, 28, 28, 1)), read_digit)


def test_confident_fraction_needs_all_three_digits_at_probability_0_9():
    triples = [[1, 2, 3]] * 4

    def unsure_on(channel_value, probability):
        # The channel whose constant is `channel_value` gets `probability` on its digit, the rest spread evenly.
        def probabilities(channel):
            p = read_digit(channel)
            unsure = np.isclose(channel.mean(axis=(1, 2, 3)), channel_value)
            p[unsure] = np.where(p[unsure] == 1, probability, (1 - probability) / 9)
            return p

        return probabilities

    assert stacked_mnist_coverage(constant_digit_images(triples), unsure_on(0.2, 0.9))['confident_fraction'] == 1.0
    unsure = stacked_mnist_coverage(constant_digit_images(triples), unsure_on(0.3, 0.89))
    assert unsure['confident_fraction'] == 0.0 and unsure['modes'] == 1  # still counted, by its argmax
    mixed = constant_digit_images([[1, 2, 3], [1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert stacked_mnist_coverage(mixed, unsure_on(0.3, 0.5))['confident_fraction'] == 0.5


def test_uniform_multinomial_floor_matches_the_chi_square_approximation():
    # E[KL(p_hat || uniform)] ~ (K - 1) / (2 n) for n draws over K equally likely modes.
    assert uniform_multinomial_kl(26_000) == pytest.approx(999 / (2 * 26_000), rel=0.03)
    assert uniform_multinomial_kl(2_600) > 5 * uniform_multinomial_kl(26_000)
