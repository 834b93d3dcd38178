"""The suites of the mode-collapse study: which methods, settings, seeds and budget each runs, and the published rows
(quoted, never ours) that its tables put beside the results. Sources and the reasoning behind each setting:
docs/study.md.

A run is one (method, setting, seed): `experiments/<method>_<dataset>.py` with the seed, the suite's step budget and
the setting's overrides, evaluated with the prior sampler and, for methods with an encoder, also with PPGN.
"""

import dataclasses

from aegan.methods import nets_of

FAMILY = ('alphagan', 'ae', 'vae', 'dcgan', 'wgan_gp', 'aae', 'age')  # α-GAN first: partial studies show it first


@dataclasses.dataclass(frozen=True)
class Suite:
    """`settings`: name -> the data discriminator's width as a fraction of `model.width` (None: the config's own).
    Methods without a data discriminator do not depend on it and run once per seed, under setting 'any'."""

    dataset: str
    seeds: tuple[int, ...]
    num_train_steps: int
    settings: dict[str, float | None]
    description: str
    anchors: dict[str, tuple[dict, ...]] = dataclasses.field(default_factory=dict)  # setting -> published rows
    protocol: str = ''  # the config files' argument (configs.PROTOCOLS): `experiments/<method>_<dataset>.py:<protocol>`
    spread: str = 'std'  # the headline's ±: 'std' over seeds, or 'se' (standard error), where the quoted rows use it


# ---- Published rows (mean over the papers' trials; quoted from the tables named in `source`). -------------------
_PACGAN_T1 = 'PacGAN (Lin et al. 2018) Table 1'
_VEEGAN_T1 = 'VEEGAN (Srivastava et al. 2017) Table 1'
# `se`: the table's ± (standard errors over its trials); `budget`: the training the row had.
_PACGAN_2D_BUDGET = '400,000 steps of batch 100, 10 trials'
_VEEGAN_2D_BUDGET = 'VEEGAN nets and budget'


def _pacgan_table1(method, modes, high_quality, reverse_kl, standard_errors) -> dict:
    """A row of PacGAN's Table 1: mean over its 10 trials, ± their standard error."""
    keys = ('modes', 'high_quality_fraction', 'reverse_kl')
    return dict(
        method=method,
        source=_PACGAN_T1,
        budget=_PACGAN_2D_BUDGET,
        **dict(zip(keys, (modes, high_quality, reverse_kl))),
        se=dict(zip(keys, standard_errors)),
    )


RING8_ANCHORS = (
    _pacgan_table1('GAN', 6.3, 0.982, 0.45, (0.5, 0.002, 0.09)),
    _pacgan_table1('PacGAN4', 7.8, 0.959, 0.07, (0.1, 0.014, 0.02)),
    dict(method='Unrolled GAN', source=_VEEGAN_T1, budget=_VEEGAN_2D_BUDGET, modes=7.6, high_quality_fraction=0.356),
    dict(method='VEEGAN', source=_VEEGAN_T1, budget=_VEEGAN_2D_BUDGET, modes=8.0, high_quality_fraction=0.529),
)
GRID25_ANCHORS = (
    _pacgan_table1('GAN', 17.3, 0.948, 0.70, (0.8, 0.007, 0.07)),
    _pacgan_table1('PacGAN4', 24.8, 0.936, 0.04, (0.2, 0.006, 0.01)),
    dict(method='Unrolled GAN', source=_VEEGAN_T1, budget=_VEEGAN_2D_BUDGET, modes=23.6, high_quality_fraction=0.16),
    dict(method='VEEGAN', source=_VEEGAN_T1, budget=_VEEGAN_2D_BUDGET, modes=24.6, high_quality_fraction=0.40),
)
_PACGAN_T2 = 'PacGAN Table 2 (VEEGAN setting)'
_PACGAN_T3 = 'PacGAN Table 3 (Unrolled-GAN setting)'
_VEEGAN_SM_BUDGET = '100,000 steps of batch 64 (50 epochs of 128,000)'
_UNROLLED_SM_BUDGET = "PacGAN's smaller nets, batch 128"
STACKED_MNIST_ANCHORS = {
    'veegan': (
        dict(method='DCGAN', source='VEEGAN Table 2', budget=_VEEGAN_SM_BUDGET, modes=99, reverse_kl=3.4),
        dict(method='VEEGAN', source='VEEGAN Table 2', budget=_VEEGAN_SM_BUDGET, modes=150, reverse_kl=2.95),
        dict(method='DCGAN (PacGAN impl.)', source=_PACGAN_T2, budget=_VEEGAN_SM_BUDGET, modes=78.9, reverse_kl=4.50),
        dict(method='PacDCGAN2', source=_PACGAN_T2, budget=_VEEGAN_SM_BUDGET, modes=1000.0, reverse_kl=0.06),
    ),
    'half': (
        dict(method='DCGAN', source=_PACGAN_T3, budget=_UNROLLED_SM_BUDGET, modes=628.0, reverse_kl=2.58),
        dict(
            method='Unrolled GAN, 10 steps', source=_PACGAN_T3, budget=_UNROLLED_SM_BUDGET, modes=817.4, reverse_kl=1.43
        ),
        dict(method='PacDCGAN3', source=_PACGAN_T3, budget=_UNROLLED_SM_BUDGET, modes=866.6, reverse_kl=0.90),
    ),
    'hard': (
        dict(method='DCGAN', source=_PACGAN_T3, budget=_UNROLLED_SM_BUDGET, modes=30.6, reverse_kl=5.99),
        dict(
            method='Unrolled GAN, 10 steps', source=_PACGAN_T3, budget=_UNROLLED_SM_BUDGET, modes=327.2, reverse_kl=4.66
        ),
        dict(method='PacDCGAN4', source=_PACGAN_T3, budget=_UNROLLED_SM_BUDGET, modes=667.4, reverse_kl=1.81),
    ),
}


def _mixture_suite(dataset: str, description: str, anchors) -> Suite:
    """ring8 and grid25 share everything but the data: the nets, budget and seeds of the 2-D protocol."""
    return Suite(dataset, (0, 1, 2, 3, 4), 10_000, {'pacgan': None}, description, {'pacgan': anchors})


def _pacgan_protocol_suite(dataset: str, description: str, anchors) -> Suite:
    """PacGAN's synthetic experiment itself (configs.PROTOCOLS['pacgan']): its nets, data, optimizer, 400 epochs of
    100,000 points at batch 100 and 10 trials, so that its rows compare like for like."""
    return Suite(dataset, tuple(range(10)), 400_000, {'pacgan': None}, description, {'pacgan': anchors}, 'pacgan', 'se')


SUITES = {
    'ring8': _mixture_suite(
        'ring8', 'Ring of 8 Gaussians (radius 1, std 0.01), 2,500 samples, high quality = within 3 std.', RING8_ANCHORS
    ),
    'grid25': _mixture_suite(
        'grid25',
        'Grid of 25 Gaussians (spacing 2, std 0.05), 2,500 samples, high quality = within 3 std.',
        GRID25_ANCHORS,
    ),
    'ring8_pacgan': _pacgan_protocol_suite(
        'ring8',
        "Ring of 8 Gaussians under PacGAN's protocol (its nets, 100,000 points, batch 100, 400,000 steps), 2,500 "
        'samples, high quality = within 3 std.',
        RING8_ANCHORS,
    ),
    'grid25_pacgan': _pacgan_protocol_suite(
        'grid25',
        "Grid of 25 Gaussians under PacGAN's protocol (its nets, 100,000 points, batch 100, 400,000 steps), 2,500 "
        'samples, high quality = within 3 std.',
        GRID25_ANCHORS,
    ),
    'stacked_mnist': Suite(
        dataset='stacked_mnist',
        seeds=(0, 1, 2),
        num_train_steps=1500,
        settings={'veegan': 1.0, 'half': 0.5, 'hard': 0.25},
        description='Stacked MNIST (1,000 modes), 26,000 samples; D as wide as G (VEEGAN setting), 1/2 and 1/4 of it.',
        anchors=STACKED_MNIST_ANCHORS,
    ),
}


def has_data_discriminator(method: str) -> bool:
    return 'discriminator' in nets_of(method)


def has_encoder(method: str) -> bool:
    return 'encoder' in nets_of(method)


def get_suite(name: str) -> Suite:
    if name not in SUITES:
        raise ValueError(f'Unknown suite {name!r}; valid choices: {sorted(SUITES)}.')
    return SUITES[name]
