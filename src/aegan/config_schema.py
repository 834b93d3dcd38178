"""Every config key in one place: its type, its allowed values and what it means.

`validate(config)` checks a resolved config before anything is written or compiled and raises `ConfigError` naming
the key, the value, what is allowed and a valid override. `check_override_keys(config, overrides)` does the same for
`--config.<key>=...` flags that name no key of the config (with the closest names, and the section's keys).
`describe(config)` is what `python -m aegan.train --config=... --describe` prints.

Keys whose path has a `*` hold one entry per network (`optim.<net>.*`, nets from `methods.nets_of`). A method's own
section (`alphagan.*`, `vae.*`, ...) exists only in that method's configs.
"""

import dataclasses
import difflib
import math

import ml_collections
from flax import traverse_util


class ConfigError(ValueError):
    """A config value or key the user can fix: the message says what and how."""


@dataclasses.dataclass(frozen=True)
class Key:
    kind: str  # 'int', 'float', 'str', 'bool', 'ints' (a tuple of ints)
    meaning: str
    low: float | None = None  # inclusive
    above: float | None = None  # exclusive lower bound (learning rates, scales: > 0)
    high: float | None = None  # exclusive
    choices: tuple | None = None
    example: object = None

    def allowed(self) -> str:
        if self.choices is not None:
            return f'one of {list(self.choices)}'
        kind = {'int': 'an integer', 'float': 'a number', 'str': 'a string', 'bool': 'true or false'}
        text = kind.get(self.kind, 'a tuple of integers')
        if self.above is not None:
            return f'{text} > {self.above}'
        if self.low is not None and self.high is not None:
            return f'{text} in [{self.low}, {self.high})'
        if self.low is not None:
            return f'{text} >= {self.low}' + (' each' if self.kind == 'ints' else '')
        return text

    def problem(self, value) -> str | None:
        """None if `value` is allowed, else why not."""
        if self.kind == 'bool':
            return None if isinstance(value, bool) else 'not true/false'
        if self.kind == 'str':
            if not isinstance(value, str):
                return 'not a string'
        elif self.kind == 'ints':
            if not isinstance(value, tuple | list) or not all(_is_int(v) for v in value):
                return 'not a tuple of integers'
            if self.low is not None and any(v < self.low for v in value):
                return f'an entry below {self.low}'
            return None
        elif self.kind == 'int' and not _is_int(value):
            return 'not an integer'
        elif self.kind == 'float' and not (_is_int(value) or isinstance(value, float)):
            return 'not a number'
        if self.choices is not None:
            return None if value in self.choices else 'not a valid choice'
        if isinstance(value, float) and not math.isfinite(value):
            return 'not finite'
        if self.above is not None and value <= self.above:
            return f'not above {self.above}'
        if self.low is not None and value < self.low:
            return f'below {self.low}'
        if self.high is not None and value >= self.high:
            return f'not below {self.high}'
        return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _steps(meaning: str) -> Key:
    return Key('int', meaning, low=1, example=500)


_OPTIMIZER = {
    'kind': Key('str', "optimizer: 'adam' (default) or plain 'sgd'", choices=('adam', 'sgd'), example='adam'),
    'learning_rate': Key('float', 'learning rate', above=0.0, example=2e-4),
    'b1': Key('float', "Adam's beta1 (DCGAN-style GANs use 0.5)", low=0.0, high=1.0, example=0.5),
    'b2': Key('float', "Adam's beta2", low=0.0, high=1.0, example=0.999),
    'eps': Key('float', "Adam's epsilon", above=0.0, example=1e-8),
    'schedule': Key(
        'str', "'constant', or 'cosine' decay to 0 over the run", choices=('constant', 'cosine'), example='constant'
    ),
}

SCHEMA: dict[str, Key] = {
    'method': Key('str', 'the method (methods.METHODS)', example='alphagan'),
    'seed': Key('int', 'seed of the initialisation, the noise and the data order', low=0, example=1),
    'batch_size': Key('int', 'global batch: over all devices of all processes', low=1, example=64),
    'num_train_steps': _steps('training steps (iterations of the method)'),
    'log_every_steps': _steps('steps between logged scalars'),
    'sample_every_steps': _steps('steps between sample grids / 2-D scatter plots and their mode counts'),
    'checkpoint_every_steps': _steps('steps between checkpoints (also saved at the end and on preemption)'),
    'max_checkpoints_to_keep': Key('int', 'newest checkpoints kept', low=1, example=3),
    'data.name': Key('str', 'the dataset (data.DATASETS)', example='ring8'),
    'data.data_dir': Key('str', "TFDS data directory ('' = $TFDS_DATA_DIR or ~/tensorflow_datasets)", example=''),
    'data.download': Key('bool', 'let TFDS download and prepare a missing dataset (needs internet)', example=False),
    'data.source': Key(
        'str', "mnist / stacked_mnist: 'embedded' (5,000 digits, offline) or 'tfds'", choices=('embedded', 'tfds')
    ),
    'data.num_threads': Key('int', 'Grain threads reading TFDS records (0 = one per core, <= 16)', low=0, example=0),
    'data.prefetch_batches': Key('int', 'batches read ahead of the step', low=1, example=4),
    'data.num_test_examples': Key('int', 'held-out TFDS images kept in memory', low=0, example=10_000),
    'data.num_train_examples': Key(
        'int', '2-D mixtures: a fixed training set of this many points (0: a fresh stream)', low=0, example=100_000
    ),
    'data.crop': Key('int', 'CelebA: side of the centre square resized to 64 px', low=1, example=108),
    'model.kind': Key('str', "'dcgan' conv nets (28/32/64 px images) or 'mlp' (2-D data)", choices=('dcgan', 'mlp')),
    'model.z_dim': Key('int', 'dimension of the code z', low=1, example=100),
    'model.width': Key('int', 'dcgan: channels of the first conv stage (doubled per stage)', low=1, example=64),
    'model.discriminator_width': Key('int', 'dcgan: width of the data discriminator alone', low=1, example=32),
    'model.hidden': Key('ints', 'mlp: hidden widths of the encoder and generator', low=1, example=(128, 128)),
    'model.activation': Key(
        'str', 'mlp: hidden activation of the encoder and generator', choices=('leaky_relu', 'relu'), example='relu'
    ),
    'model.norm': Key(
        'str', "mlp: 'batch' (BatchNorm) in the encoder and generator, or 'none'", choices=('none', 'batch')
    ),
    'model.init_std': Key('float', "mlp: weights drawn from N(0, init_std) (0: Flax's default)", low=0.0, example=0.02),
    'model.discriminator_hidden': Key('ints', 'mlp: hidden widths of the data discriminator', low=1, example=(200,)),
    'model.discriminator_activation': Key(
        'str', 'mlp: hidden activation of the discriminators', choices=('leaky_relu', 'maxout'), example='maxout'
    ),
    'model.maxout_pieces': Key('int', "mlp: pieces per unit where the activation is 'maxout'", low=1, example=5),
    'model.code_disc_hidden': Key('ints', 'hidden widths of the code discriminator MLP', low=1, example=(700, 700)),
    **{f'optim.*.{name}': key for name, key in _OPTIMIZER.items()},
    'dcgan.updates': Key(
        'str',
        "'alternating' (D, then G against the new D) or 'simultaneous' (both from one forward, PacGAN's code)",
        choices=('alternating', 'simultaneous'),
        example='simultaneous',
    ),
    'alphagan.lambda_rec': Key('float', 'weight of the L1 reconstruction term', low=0.0, example=10.0),
    'alphagan.generator_steps': Key('int', 'E+G updates per D and C update', low=1, example=2),
    'alphagan.encoder_loss': Key(
        'str', "'paper' (E and G with separate losses) or 'joint'", choices=('paper', 'joint'), example='paper'
    ),
    'alphagan.discriminator_inputs': Key(
        'str',
        "what D and C see: 'updated' (a fresh forward of the updated E, G) or 'same_forward' (the last E/G step's)",
        choices=('updated', 'same_forward'),
        example='updated',
    ),
    'eval.batchnorm_passes': Key(
        'int',
        "train-mode passes of fresh z that refresh G's BatchNorm statistics before eval samples (0: running ones)",
        low=0,
        example=50,
    ),
    'ema.half_life_steps': Key(
        'float', "half-life of the generator's moving average, in steps (0: none)", low=0.0, example=312.5
    ),
    'ema.rampup': Key('float', 'half-life at most rampup x steps done (0: no ramp-up)', low=0.0, example=0.05),
    'ema.batch_stats': Key(
        'str',
        "BatchNorm statistics of the averaged generator: the trained one's ('raw') or their average",
        choices=('raw', 'averaged'),
        example='raw',
    ),
    'ae.reconstruction': Key('str', 'reconstruction loss', choices=('l1', 'l2'), example='l1'),
    'vae.likelihood': Key('str', 'p(x|z)', choices=('gaussian', 'laplace'), example='gaussian'),
    'vae.scale': Key('float', 'fixed scale of p(x|z)', above=0.0, example=0.1),
    'wgan_gp.gp_weight': Key('float', 'gradient penalty weight lambda', low=0.0, example=10.0),
    'wgan_gp.n_critic': Key('int', 'critic updates per generator update', low=1, example=5),
    'wgan_gp.critic_norm': Key(
        'str', "critic normalisation (not 'batch': it breaks the penalty)", choices=('none', 'layer'), example='layer'
    ),
    'aae.reconstruction': Key('str', 'reconstruction loss', choices=('l1', 'l2'), example='l2'),
    'aae.prior_std': Key('float', 'std of the N(0, std^2 I) prior on codes', above=0.0, example=1.0),
    'age.mu': Key('float', 'weight of the latent reconstruction', low=0.0, example=10.0),
    'age.lam': Key('float', 'weight of the image reconstruction', low=0.0, example=1000.0),
    'age.generator_steps': Key('int', 'generator updates per encoder update', low=1, example=2),
    'classifier.num_classes': Key('int', 'number of classes', low=2, example=10),
    'classifier.ensemble': Key('int', 'independent member nets whose probabilities are averaged', low=1, example=1),
    'classifier.augment.max_shift': Key('float', 'largest random shift, px', low=0.0, example=3.0),
    'classifier.augment.max_degrees': Key('float', 'largest random rotation, degrees', low=0.0, example=15.0),
}


def flatten(config) -> dict:
    """{'model.z_dim': 100, ...}: the leaves of a ConfigDict or nested dict (a tuple or list is a leaf)."""
    tree = config.to_dict() if isinstance(config, ml_collections.ConfigDict) else config
    return traverse_util.flatten_dict(tree, sep='.')


def schema_path(path: str) -> str:
    """'optim.encoder.learning_rate' -> 'optim.*.learning_rate' (the per-network entries share one schema key)."""
    parts = path.split('.')
    if parts[0] == 'optim' and len(parts) >= 3:
        return '.'.join(['optim', '*', *parts[2:]])
    return path


def _example(path: str, key: Key) -> str:
    value = key.example if key.example is not None else (key.choices[0] if key.choices else None)
    if isinstance(value, tuple):
        value = "'(" + ','.join(map(str, value)) + ")'"
    elif isinstance(value, bool):
        value = str(value).lower()
    return f'--config.{path}={value}'


def _closest(name: str, candidates) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=2, cutoff=0.7)


def unknown_key_message(config, path: str) -> str:
    """Why `path` is not a key of `config`, the closest names and the keys of its section."""
    from aegan.methods import METHODS  # a method's section is named after it

    keys = flatten(config)
    method = config.get('method')
    head = path.split('.')[0]
    if head in METHODS and head != method and head not in config:
        own = f'; its own section is {method}.*' if method in METHODS else ''
        return f'{path} is a setting of method {head!r}; this config trains {method!r}{own}.'
    section = path.rsplit('.', 1)[0] if '.' in path else ''
    siblings = sorted(
        k for k in keys if k.count('.') == path.count('.') and (not section or k.startswith(section + '.'))
    )
    known = SCHEMA.get(schema_path(path))
    if known is not None:  # a real key that this config's method or nets do not read, e.g. model.width of an MLP
        kind = config.model.get('kind')
        message = f'{path} ({known.meaning}) is not a key of this config (method {method!r}, model {kind!r}).'
    else:
        message = f'Unknown config key {path!r}.'
        last = path.split('.')[-1]
        guesses = [g for g in siblings if g.split('.')[-1] in _closest(last, [s.split('.')[-1] for s in siblings])]
        if not section or not any(k.startswith(section + '.') for k in keys):  # the section itself is misspelled
            guesses = difflib.get_close_matches(path, list(keys), n=2, cutoff=0.8)
        if guesses:
            message += f' Did you mean {" or ".join(guesses[:2])}?'
    siblings = siblings if section else []
    if siblings:
        message += f' Keys of {section}: {", ".join(s.split(".")[-1] for s in siblings)}.'
    elif not section:
        message += f' Top-level keys: {", ".join(sorted({k.split(".")[0] for k in keys}))}.'
    return message + ' `--describe` lists every key with its meaning.'


def check_override_keys(config, paths) -> None:
    """Raises ConfigError for an override path that names no key of `config`."""
    keys = flatten(config)
    for path in paths:
        is_section = any(k.startswith(path + '.') for k in keys)
        if path not in keys and not is_section:
            raise ConfigError(unknown_key_message(config, path))


def validate(config) -> None:
    """Every key known and every value allowed, the method and dataset known, one optimizer per network."""
    from aegan import data, methods  # not at import time: methods import configs, which this module does not need

    for path, value in flatten(config).items():
        key = SCHEMA.get(schema_path(path))
        if key is None:
            raise ConfigError(unknown_key_message(config, path))
        problem = key.problem(value)
        if problem:
            raise ConfigError(
                f'config {path}={value!r} is {problem}: it must be {key.allowed()} ({key.meaning}). '
                f'Example: {_example(path, key)}'
            )
    if config.method not in methods.METHODS:
        guesses = _closest(config.method, methods.METHODS)
        raise ConfigError(
            f'Unknown method={config.method!r}; valid choices: {sorted(methods.METHODS)}.'
            + (f' Did you mean {guesses[0]!r}?' if guesses else '')
        )
    if config.data.name not in data.DATASETS:
        raise ConfigError(f'Unknown data.name={config.data.name!r}; valid choices: {sorted(data.DATASETS)}.')
    missing = [net for net in methods.nets_of(config.method) if net not in config.get('optim', {})]
    if missing:
        raise ConfigError(
            f'{config.method} trains {list(methods.nets_of(config.method))}; config.optim has no optimizer for '
            f'{missing} (e.g. optim.{missing[0]}.learning_rate).'
        )


def describe(config) -> str:
    """The resolved config, one key per line with its meaning and what it allows."""
    lines = []
    for path, value in sorted(flatten(config).items()):
        key = SCHEMA.get(schema_path(path))
        meaning = f'{key.meaning}; {key.allowed()}' if key else '(not a known key)'
        lines.append(f'{path} = {value!r}\n    {meaning}')
    return '\n'.join(lines)
