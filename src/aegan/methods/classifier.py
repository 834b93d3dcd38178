"""A dataset classifier, trained with the same train binary: the "Inception score with a dataset classifier" and
the Stacked MNIST mode counter of the eval (`experiments/classifier_mnist.py`, `classifier_cifar10.py`).

Net: the conv encoder of `config.model` (or an MLP) with `config.classifier.num_classes` outputs; softmax cross-entropy
on labelled batches (`batch = {'image', 'label'}`); `classify(state, x) -> logits`. It has no `sample`.
`config.classifier.augment` (optional: `max_shift` pixels, `max_degrees`) trains on randomly shifted and rotated
copies of each batch; `config.classifier.ensemble=K` trains K independent nets whose probabilities are averaged. Both
are what lift the Stacked MNIST mode counter from 95.6% to the accuracy docs/metrics.md reports.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import ndimage

from aegan import losses, nets
from aegan.batching import apply_in_chunks
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, pmean, uniform_rows

NETS = NETWORKS['classifier']


def make(config, data_shape) -> api.Method:
    num_classes = config.classifier.num_classes
    if not (isinstance(num_classes, int) and num_classes >= 2):
        raise ValueError(f'classifier.num_classes={num_classes!r} must be an integer >= 2.')
    augment = dict(config.classifier.get('augment') or {})
    unknown = sorted(set(augment) - {'max_shift', 'max_degrees'})
    if unknown:
        raise ValueError(f'classifier.augment has unknown keys {unknown}; valid keys: max_shift, max_degrees.')
    members = config.classifier.get('ensemble', 1)
    if not (isinstance(members, int) and members >= 1):
        raise ValueError(f'classifier.ensemble={members!r} must be an integer >= 1 (the number of member nets).')
    names = ('classifier',) if members == 1 else tuple(f'classifier_{k}' for k in range(members))
    modules = {name: nets.encoder(config.model, data_shape, num_classes, DATA_AXIS) for name in names}
    optimizer = api.make_optimizer(config.optim.classifier, 'classifier', config.num_train_steps)
    net = api.net_caller(modules)

    def init(rng, example_batch):
        return api.init_nets(modules, rng, dict.fromkeys(names, example_batch), dict.fromkeys(names, optimizer))

    def update(state, batch, rng):
        metrics = []
        for k, name in enumerate(names):  # independent members: own init, own augmented copy of the batch
            images = batch['image']
            if augment:
                key = jax.random.fold_in(rng, k)
                images = random_shift_rotate(
                    key, images, augment.get('max_shift', 0.0), augment.get('max_degrees', 0.0)
                )

            def loss_fn(params, name=name, images=images, state=state):
                logits, stats = net(state, name, images, params)
                accuracy = pmean(jnp.mean(jnp.argmax(logits, -1) == batch['label']))
                return pmean(losses.softmax_cross_entropy(logits, batch['label'])), ({'accuracy': accuracy}, stats)

            state, loss, member = api.update_net(state, name, loss_fn, optimizer)
            metrics.append({'cross_entropy': loss, **member})
        return state, jax.tree.map(lambda *m: sum(m) / len(m), *metrics)

    def classify(state, x):
        """Logits; for an ensemble, the log of the members' mean probabilities (softmax gives that mean back)."""
        if members == 1:
            return net(state, 'classifier', x, train=False)[0]
        probabilities = [jax.nn.softmax(net(state, name, x, train=False)[0]) for name in names]
        return jnp.log(sum(probabilities) / members)

    def features(state, x):
        """The penultimate layer (the flattened last conv map); an ensemble's members side by side."""
        parts = []
        for name in names:
            variables = {
                'params': state.params[name],
                **({'batch_stats': state.batch_stats[name]} if name in state.batch_stats else {}),
            }
            parts.append(nets.penultimate_features(modules[name], variables, x))
        return jnp.concatenate(parts, axis=-1)

    return api.Method(name='classifier', init=init, update=update, classify=classify, features=features, labelled=True)


def random_shift_rotate(rng, images, max_shift: float, max_degrees: float):
    """Each image shifted by U(-max_shift, max_shift) pixels per axis and rotated by U(-max_degrees, max_degrees).

    The draws are this device's rows of the global batch's (`parallel.uniform_rows`), so every example gets the same
    transform on 1 or N devices and the trained counter does not depend on the device count."""
    shift_key, angle_key = jax.random.split(rng)
    n = images.shape[0]
    shifts = uniform_rows(shift_key, (n, 2), -max_shift, max_shift)
    degrees = uniform_rows(angle_key, (n,), -max_degrees, max_degrees)
    return shift_rotate(images, shifts, degrees)


def shift_rotate(images, shifts, degrees):
    """[n, h, w, c] images rotated counter-clockwise about their centre by `degrees` [n], then shifted by `shifts`
    [n, 2] pixels (down, right); bilinear, edges repeated (MNIST's border is background)."""
    _, h, w, _ = images.shape
    ys, xs = jnp.meshgrid(jnp.arange(h) - (h - 1) / 2, jnp.arange(w) - (w - 1) / 2, indexing='ij')

    def one(image, shift, angle):
        # Output pixel (y, x) reads the input at the inverse transform of (y, x); y points down the rows.
        y, x = ys - shift[0], xs - shift[1]
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        src_y, src_x = cos * y + sin * x + (h - 1) / 2, -sin * y + cos * x + (w - 1) / 2
        read = lambda channel: ndimage.map_coordinates(channel, [src_y, src_x], order=1, mode='nearest')
        return jnp.stack([read(image[..., c]) for c in range(image.shape[-1])], -1)

    return jax.vmap(one)(images, shifts, jnp.deg2rad(degrees))


def accuracy(method, state, images, labels, batch_size: int = 500) -> float:
    """Top-1 accuracy of `method.classify` on held-out (images, labels)."""
    logits = apply_in_chunks(method.classify, state, images, batch_size)
    return float(np.mean(logits.argmax(-1) == np.asarray(labels)))
