"""Held-out accuracy of Stacked MNIST mode-counter recipes (the package's `mnist_counter_config` plus overrides).

    python benchmarks/counter_recipes.py                                        # the recipe aegan.eval uses
    python benchmarks/counter_recipes.py --set model.width=64 --set num_train_steps=8000
    python benchmarks/counter_recipes.py --set classifier.ensemble=3

Trains on the 4,500 embedded training digits in a temporary workdir and prints the accuracy on the 500 held-out
digits and the wall time (docs/study.md, "The mode counter"). Reported, not asserted.
"""

import argparse
import tempfile
import time

import jax
from absl import logging
from mode_coverage_seeds import apply_overrides

from aegan import configs, data, methods, trainer
from aegan.methods import classifier


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--set', action='append', default=[], help='key=value override, e.g. model.width=64')
    args = parser.parse_args()
    logging.set_verbosity(logging.WARNING)
    config = configs.mnist_counter_config()
    apply_overrides(config, args.set)
    config.checkpoint_every_steps = config.sample_every_steps = config.num_train_steps
    start = time.time()
    with tempfile.TemporaryDirectory() as workdir:
        state = trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    seconds = time.time() - start
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    accuracy = classifier.accuracy(method, state, dataset.test_data, dataset.info['test_labels'])
    recipe = args.set or 'default recipe'
    print(f'{recipe}: held-out accuracy {accuracy:.1%} ({len(dataset.test_data)} digits), {seconds:.0f} s')


if __name__ == '__main__':
    main()
