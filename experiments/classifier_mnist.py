"""MNIST digit classifier on the embedded digits: the eval's Stacked MNIST mode counter and MNIST dataset classifier.

    python -m aegan.train --config=experiments/classifier_mnist.py --workdir=/tmp/classifier_mnist

Expected: 98.0% eval/test_accuracy on the 500 held-out digits, in about 2 minutes on 2 CPU cores. `aegan.eval` trains
and caches this config itself when Stacked MNIST modes are asked for without --classifier.

The PacGAN protocol counts modes with a Keras `mnist_cnn` trained on all of MNIST (docs/metrics.md); here the net is
the DCGAN encoder (width 32, BatchNorm) and the data the 4,500 embedded training digits, randomly shifted (±3 px) and
rotated (±15°), Adam 1e-3 decayed along a cosine over 6,000 steps (recipes measured: docs/study.md). Add
`--config.data.source=tfds` to train it on all 60,000 MNIST digits.
"""

from aegan.configs import mnist_counter_config


def get_config():
    # Defined in the package so that `aegan.eval` can train the same classifier without this file.
    return mnist_counter_config()
