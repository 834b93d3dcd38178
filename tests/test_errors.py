"""Bad input fails at start-up with a ValueError that names the key and the valid choices; nothing is written."""

import os
import re

import pytest

from aegan import methods, trainer


@pytest.mark.parametrize(
    'mutate,message',
    [
        (
            lambda c: setattr(c, 'method', 'bigan'),
            re.escape(f"Unknown method='bigan'; valid choices: {sorted(methods.METHODS)}"),
        ),
        (lambda c: setattr(c.data, 'name', 'svhn'), r"Unknown data.name='svhn'; valid choices: \['celeb_a', 'cifar10'"),
        (lambda c: setattr(c, 'batch_size', 18), r'batch_size=18 must be a positive multiple of the number of devices'),
        (
            lambda c: setattr(c.optim.discriminator, 'learning_rate', -1e-4),
            r'optim.discriminator.learning_rate=-0.0001 is not above 0.0: it must be a number > 0.0',
        ),
        (
            lambda c: setattr(c.optim.encoder, 'b1', 1.5),
            r'optim.encoder.b1=1.5 is not below 1.0: it must be a number in \[0.0, 1.0\)',
        ),
        (
            lambda c: setattr(c.model, 'kind', 'resnet'),
            r"model.kind='resnet' is not a valid choice: it must be one of \['dcgan', 'mlp'\]",
        ),
        (lambda c: setattr(c.model, 'kind', 'dcgan'), r"model.kind='dcgan' needs square images"),
        (
            lambda c: setattr(c.alphagan, 'generator_steps', 0),
            r'alphagan.generator_steps=0 is below 1: it must be an integer >= 1',
        ),
        (lambda c: setattr(c, 'num_train_steps', 0), r'num_train_steps=0 is below 1: it must be an integer >= 1'),
    ],
)
def test_bad_config_is_a_clear_error_and_writes_nothing(tmp_path, config_factory, mutate, message):
    config = config_factory('ring8')
    mutate(config)
    workdir = tmp_path / 'run'
    with pytest.raises(ValueError, match=message):
        trainer.train_and_evaluate(config, str(workdir))
    assert not os.path.exists(workdir)


def test_missing_tfds_dataset_says_how_to_prepare_it(tmp_path, config_factory):
    config = config_factory('ring8')
    config.data.name, config.data.data_dir = 'cifar10', str(tmp_path / 'tfds')
    config.model.kind = 'dcgan'
    with pytest.raises(FileNotFoundError) as error:
        trainer.train_and_evaluate(config, str(tmp_path / 'run'))
    text = str(error.value)
    assert "'cifar10' is not prepared" in text and str(tmp_path / 'tfds') in text
    assert 'download_and_prepare()' in text and '--config.data.download=True' in text
    assert not os.path.exists(tmp_path / 'run')
