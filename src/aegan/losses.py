"""Pure loss terms shared by the methods. Every adversarial term takes *logits*, never probabilities.

With a discriminator D = sigmoid(l), the terms below are the usual cross-entropies written with softplus, which is
exact and finite for any logit: -log D = softplus(-l), -log(1 - D) = softplus(l).
"""

import jax.numpy as jnp
from jax.nn import softplus


def bce_real(logits):
    """-E[log D(x)]: the discriminator's loss on samples it should call real (label 1)."""
    return jnp.mean(softplus(-logits))


def bce_fake(logits):
    """-E[log(1 - D(x))]: the discriminator's loss on samples it should call fake (label 0)."""
    return jnp.mean(softplus(logits))


def logit_loss(logits):
    """-E[log D - log(1 - D)] = -E[l]: alpha-GAN's generator loss (Rosca et al. 2017, hybrid loss, §1.1 of
    reference/methods.md) — the density-ratio estimate log(D/(1-D)) is exactly the discriminator's logit."""
    return -jnp.mean(logits)


def l1(x, y):
    """Mean absolute error over all elements (victor-shepardson/alpha-GAN's convention; lambda scales it)."""
    return jnp.mean(jnp.abs(x - y))


def l2(x, y):
    """Mean squared error over all elements."""
    return jnp.mean(jnp.square(x - y))
