"""MNIST digit classifier on the embedded digits: the eval's Stacked MNIST mode counter and MNIST dataset classifier.

    python -m aegan.train --config=experiments/classifier_mnist.py --workdir=/tmp/classifier_mnist

Expected: ~1 min on 2 CPU cores; eval/test_accuracy on the 500 held-out digits in the log. `aegan.eval` trains and
caches this config itself when Stacked MNIST modes are asked for without --classifier.

The PacGAN protocol counts modes with a Keras `mnist_cnn` trained on all of MNIST (docs/methods.md); here the
net is the DCGAN encoder (width 32, BatchNorm) and the data the 4,500 embedded training digits, Adam 1e-3.
"""

from aegan.methods.classifier import mnist_counter_config


def get_config():
    # Defined in the package so that `aegan.eval` can train the same classifier without this file: batch 64, 2,000
    # steps, DCGAN encoder width 32, 10 classes, Adam 1e-3 (0.9, 0.999).
    return mnist_counter_config()
