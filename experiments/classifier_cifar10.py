"""CIFAR-10 classifier: the eval's "Inception score with a dataset classifier" (--classifier=WORKDIR) for CIFAR-10.

    python -m aegan.train --config=experiments/classifier_cifar10.py --workdir=/tmp/classifier_cifar10 \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there); eval/test_accuracy
on the 10,000 test images in the log.

Net: the DCGAN encoder (width 64, BatchNorm); Adam 1e-3, batch 128, 30 epochs (11.7k steps). A plain classifier,
not a benchmark network: its IS is comparable only between runs scored with the same classifier checkpoint.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'classifier'
    config.data.name = 'cifar10'
    config.batch_size = 128
    config.num_train_steps = 11_700
    config.log_every_steps = 500
    config.sample_every_steps = 2000
    config.checkpoint_every_steps = 2000

    config.model = dict(kind='dcgan', width=64)
    config.classifier = dict(num_classes=10)
    config.optim = dict(classifier=adam(1e-3, 0.9, 0.999))
    return config
