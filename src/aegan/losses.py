"""Pure loss terms shared by the methods. Every adversarial term takes *logits*, never probabilities.

With a discriminator D = sigmoid(l), the terms below are the usual cross-entropies, exact and finite for any logit:
-log D = softplus(-l), -log(1 - D) = softplus(l) (`optax.sigmoid_binary_cross_entropy` computes exactly these).
"""

import jax
import jax.numpy as jnp
import optax
from jax.scipy import stats


def bce_real(logits):
    """-E[log D(x)]: the discriminator's loss on samples it should call real (label 1)."""
    return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, jnp.ones_like(logits)))


def bce_fake(logits):
    """-E[log(1 - D(x))]: the discriminator's loss on samples it should call fake (label 0)."""
    return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, jnp.zeros_like(logits)))


def logit_loss(logits):
    """-E[log D - log(1 - D)] = -E[l]: alpha-GAN's generator loss (Rosca et al. 2017, hybrid loss; "α-GAN" in
    docs/methods.md) — the density-ratio estimate log(D/(1-D)) is exactly the discriminator's logit."""
    return -jnp.mean(logits)


def l1(x, y):
    """Mean absolute error over all elements (victor-shepardson/alpha-GAN's convention; lambda scales it)."""
    return jnp.mean(jnp.abs(x - y))


def l2(x, y):
    """Mean squared error over all elements."""
    return jnp.mean(jnp.square(x - y))


def wasserstein_critic(real_values, fake_values):
    """WGAN critic loss E[D(fake)] - E[D(real)] (Arjovsky et al. 2017); the critic minimises it."""
    return jnp.mean(fake_values) - jnp.mean(real_values)


def gradient_penalty(critic, interpolates):
    """E[(||grad_x critic(x)||_2 - 1)^2] at `interpolates` (Gulrajani et al. 2017, eq. 3).

    `critic` maps a batch to one value per example; the gradient is taken per example (sum over the batch is
    separable), which is only right for a critic without BatchNorm.
    """
    grads = jax.grad(lambda x: jnp.sum(critic(x)))(interpolates)
    norms = jnp.sqrt(jnp.sum(jnp.square(grads).reshape(grads.shape[0], -1), axis=1) + 1e-12)
    return jnp.mean(jnp.square(norms - 1.0))


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, summed over dimensions (Kingma & Welling, App. B)."""
    return -0.5 * jnp.sum(1.0 + log_var - jnp.square(mean) - jnp.exp(log_var), axis=-1)


def gaussian_nll(x, mean, scale):
    """-log N(x; mean, scale^2 I) per example, summed over all dimensions (nats).

    Hand-written: `-jax.scipy.stats.norm.logpdf` differs by up to 1.4e-7 relative (scale 0.1), which changed the
    trained VAE's ring8 numbers (seed 0: high quality 43.44% -> 43.56%, reverse KL 0.0020 -> 0.0014)."""
    d = jnp.square((x - mean) / scale).reshape(x.shape[0], -1)
    return 0.5 * jnp.sum(d + jnp.log(2 * jnp.pi * scale**2), axis=1)


def laplace_nll(x, mean, scale):
    """-log Laplace(x; mean, scale) per example, summed over all dimensions (nats)."""
    return -jnp.sum(stats.laplace.logpdf(x, mean, scale).reshape(x.shape[0], -1), axis=1)


def batch_gaussian_kl(codes, axis_name=None):
    """AGE's Δ(codes || N(0, I)): KL between the diagonal Gaussian fitted to the batch and N(0, I), mean over dims.

    KL_j = (s_j^2 + m_j^2) / 2 - log s_j - 1/2 with the batch mean m_j and *standard deviation* s_j (the official
    code squares its variance instead, a quirk not copied here; docs/methods.md). With `axis_name` the
    moments are those of the global batch, so the value does not depend on the device count.
    """
    mean, mean_sq = jnp.mean(codes, axis=0), jnp.mean(jnp.square(codes), axis=0)
    if axis_name is not None:
        mean, mean_sq = jax.lax.pmean((mean, mean_sq), axis_name)
    var = jnp.maximum(mean_sq - jnp.square(mean), 1e-12)
    return jnp.mean((var + jnp.square(mean)) / 2 - 0.5 * jnp.log(var) - 0.5)


def cosine_distance(z, y):
    """Mean over the batch of 1 - cos(z_i, y_i): AGE's latent reconstruction (`match_z='cos'`, up to a constant).

    Hand-written: inside AGE's step, `optax.cosine_distance` (equal on isolated random inputs) changed the trained
    ring8 run (seed 0: reconstruction L1 0.425 -> 0.105)."""
    z = z / jnp.linalg.norm(z, axis=-1, keepdims=True)
    y = y / jnp.linalg.norm(y, axis=-1, keepdims=True)
    return jnp.mean(1.0 - jnp.sum(z * y, axis=-1))


def softmax_cross_entropy(logits, labels):
    """Mean over the batch of -log softmax(logits)[label] (integer labels).

    Hand-written: `optax.softmax_cross_entropy_with_integer_labels`' gradient differs by ~1e-9, which changed the
    trained Stacked MNIST counter and with it the demo's KL (0.3437 -> 0.3401) and confident fraction."""
    log_p = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None].astype(jnp.int32), axis=1))
