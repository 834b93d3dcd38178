"""A dataset classifier, trained with the same train binary: the "Inception score with a dataset classifier" and
the Stacked MNIST mode counter of the eval (`experiments/classifier_mnist.py`, `classifier_cifar10.py`).

Net: the conv encoder of `config.model` (or an MLP) with `config.classifier.num_classes` outputs; softmax cross-entropy
on labelled batches (`batch = {'image', 'label'}`); `classify(state, x) -> logits`. It has no `sample`.
"""

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import adam, base_config
from aegan.methods.api import Method, init_nets, make_optimizer, net_caller, train_net
from aegan.parallel import DATA_AXIS, pmean

NETS = ('classifier',)


def make(config, data_shape) -> Method:
    num_classes = config.classifier.num_classes
    if not (isinstance(num_classes, int) and num_classes >= 2):
        raise ValueError(f'classifier.num_classes={num_classes!r} must be an integer >= 2.')
    modules = {'classifier': nets.encoder(config.model, data_shape, num_classes, DATA_AXIS)}
    optimizer = make_optimizer(config.optim.classifier, 'classifier')
    net = net_caller(modules)

    def init(rng, example_batch):
        return init_nets(modules, rng, {'classifier': example_batch}, {'classifier': optimizer})

    def update(state, batch, rng):
        del rng

        def loss_fn(params):
            logits, stats = net(state, 'classifier', batch['image'], params)
            accuracy = jnp.mean(jnp.argmax(logits, -1) == batch['label'])
            return pmean(losses.softmax_cross_entropy(logits, batch['label'])), ({'accuracy': pmean(accuracy)}, stats)

        state, loss, metrics = train_net(state, 'classifier', loss_fn, optimizer)
        return state.replace(step=state.step + 1), {'cross_entropy': loss, **metrics}

    def classify(state, x):
        return net(state, 'classifier', x, train=False)[0]

    return Method('classifier', init, update, sample=None, classify=classify, labelled=True)


def accuracy(method, state, images, labels, batch_size: int = 500) -> float:
    """Top-1 accuracy of `method.classify` on held-out (images, labels)."""
    classify = jax.jit(method.classify)
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = classify(state, jnp.asarray(images[start : start + batch_size]))
        correct += int(jnp.sum(jnp.argmax(logits, -1) == jnp.asarray(labels[start : start + batch_size])))
    return correct / len(images)


def mnist_counter_config():
    """The MNIST classifier that counts Stacked MNIST modes (experiments/classifier_mnist.py; `aegan.eval` trains and
    caches it when no --classifier is given)."""
    config = base_config()
    config.method = 'classifier'
    config.data.name = 'mnist'
    config.batch_size = 64
    config.num_train_steps = 2000
    config.sample_every_steps = 1000
    config.checkpoint_every_steps = 1000
    config.model = dict(kind='dcgan', width=32)
    config.classifier = dict(num_classes=10)
    config.optim = dict(classifier=adam(1e-3, 0.9, 0.999))
    return config
