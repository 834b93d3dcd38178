"""The independent Wasserstein critic of the alpha-GAN paper: a fresh WGAN-GP critic trained to separate real data
from a model's samples, whose estimate E[D(real)] - E[D(fake)] on held-out data of both kinds compares models
(higher = easier to tell apart = worse samples).

Critic: the method's own discriminator architecture with LayerNorm (no BatchNorm: it breaks the per-example gradient
penalty), Adam 1e-4 betas (0.5, 0.9), gradient penalty 10 (Gulrajani et al.). Trained on the training data against
the first half of the samples; scored on the held-out test split against the second half.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from aegan import losses, nets
from aegan.batching import apply_in_chunks


def independent_critic(
    model_config,
    train_real,
    test_real,
    samples,
    steps: int = 1000,
    batch_size: int = 64,
    gp_weight: float = 10.0,
    seed: int = 0,
) -> dict:
    """Returns {'critic_wasserstein': held-out estimate, 'critic_train_wasserstein': estimate on its training data}."""
    samples = np.asarray(samples, np.float32)
    half = len(samples) // 2
    train_fake, test_fake = samples[:half], samples[half:]
    shape = train_real.shape[1:]
    critic = nets.discriminator(model_config, shape, norm='layer', width=model_config.get('width'))
    key = jax.random.key(seed)
    params = critic.init(key, jnp.zeros((1, *shape)))['params']
    optimizer = optax.adam(1e-4, b1=0.5, b2=0.9)
    apply = lambda p, x: critic.apply({'params': p}, x)[:, 0]

    def train(params, opt_state, train_real, train_fake, keys):
        # The data are arguments, not constants baked into the program (XLA:CPU was 5x slower with constants).
        def step(carry, step_key):
            params, opt_state = carry
            k_real, k_fake, k_alpha = jax.random.split(step_key, 3)
            real = train_real[jax.random.randint(k_real, (batch_size,), 0, len(train_real))]
            fake = train_fake[jax.random.randint(k_fake, (batch_size,), 0, len(train_fake))]
            alpha = jax.random.uniform(k_alpha, (batch_size,) + (1,) * len(shape))

            def loss_fn(p):
                penalty = losses.gradient_penalty(lambda x: apply(p, x), alpha * real + (1 - alpha) * fake)
                return losses.wasserstein_critic(apply(p, real), apply(p, fake)) + gp_weight * penalty

            grads = jax.grad(loss_fn)(params)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), None

        return jax.lax.scan(step, (params, opt_state), keys)[0][0]

    keys = jax.random.split(jax.random.fold_in(key, 1), steps)
    params = jax.jit(train)(params, optimizer.init(params), jnp.asarray(train_real), jnp.asarray(train_fake), keys)

    def estimate(real, fake):
        value = lambda x: apply_in_chunks(apply, params, x, 500)
        return float(value(real).mean() - value(fake).mean())

    return {
        'critic_wasserstein': estimate(test_real, test_fake),
        'critic_train_wasserstein': estimate(train_real[: len(train_fake)], train_fake),
    }
