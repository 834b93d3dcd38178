"""aegan's methods in PyTorch, as a PyTorch user would write them: the same nets, widths, batch, optimizers and update
order, on random data (vs_pytorch.py, seeds_throughput.py). `torch_twin(config, shape, device)` returns `iteration(x)`.

Nets (`nets`): DCGAN encoder and discriminator (4x4/s2/p1 convs, BatchNorm after all but the first, LeakyReLU 0.2, a
linear head), generator (linear -> BatchNorm -> ReLU, ConvTranspose2d(4, 2, 1) stages, tanh); for `model.kind='mlp'`
(the 2-D mixtures) MLPs with LeakyReLU 0.2; the code discriminator an MLP. The WGAN-GP critic has GroupNorm(1, C)
(LayerNorm over C, H, W, with a per-channel affine where aegan's is per element: the same arithmetic to within a
few multiplies) instead of BatchNorm.
Iterations: α-GAN's `generator_steps` E+G updates (each net its own loss and optimizer, two backward passes), then D
on x / G(E(x)) / G(z) and C on z / E(x), recomputed with the updated E and G ('paper' losses, 'updated' inputs);
DCGAN's D then G; WGAN-GP's `n_critic` critic steps with the gradient penalty (a double backward), then G.
"""

import math


def nets(config, shape, device, critic_norm=None):
    """{aegan net name: torch module} for `config.method` on data of `shape`, on `device`."""
    import torch
    from torch import nn

    model = config.model
    z_dim = model.z_dim

    def mlp(inputs, hidden, out):
        layers, cin = [], inputs
        for width in hidden:
            layers += [nn.Linear(cin, width), nn.LeakyReLU(0.2)]
            cin = width
        return nn.Sequential(*layers, nn.Linear(cin, out))

    if model.kind == 'mlp':
        dim = math.prod(shape)
        conv = {
            'encoder': lambda: mlp(dim, model.hidden, z_dim),
            'generator': lambda: mlp(z_dim, model.hidden, dim),
            'discriminator': lambda: mlp(dim, model.hidden, 1),
        }
    else:
        size, channels = shape[0], shape[2]
        stages = {28: 2, 32: 3, 64: 4}[size]

        def downsampler(width, out_dim, norm='batch'):
            layers, cin = [], channels
            for i in range(stages):
                layers.append(nn.Conv2d(cin, width * 2**i, 4, 2, 1, bias=i == 0 or norm == 'none'))
                if i > 0 and norm == 'batch':
                    layers.append(nn.BatchNorm2d(width * 2**i))
                elif i > 0 and norm == 'layer':
                    layers.append(nn.GroupNorm(1, width * 2**i))
                layers.append(nn.LeakyReLU(0.2))
                cin = width * 2**i
            final = size // 2**stages
            return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * final * final, out_dim))

        class Generator(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.base, self.top = size // 2**stages, width * 2 ** (stages - 1)
                self.dense = nn.Linear(z_dim, self.base * self.base * self.top, bias=False)
                layers = [nn.BatchNorm2d(self.top), nn.ReLU()]
                for i in reversed(range(stages - 1)):
                    layers += [nn.ConvTranspose2d(width * 2 ** (i + 1), width * 2**i, 4, 2, 1, bias=False)]
                    layers += [nn.BatchNorm2d(width * 2**i), nn.ReLU()]
                layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
                self.body = nn.Sequential(*layers)

            def forward(self, z):
                return self.body(self.dense(z).view(-1, self.top, self.base, self.base))

        d_width = model.get('discriminator_width') or model.width
        conv = {
            'encoder': lambda: downsampler(model.width, z_dim),
            'generator': lambda: Generator(model.width),
            'discriminator': lambda: downsampler(d_width, 1, critic_norm or 'batch'),
        }
    conv['code_discriminator'] = lambda: mlp(z_dim, model.get('code_disc_hidden', ()), 1)
    from aegan.methods import nets_of

    built = {name: conv[name]().to(device) for name in nets_of(config.method)}
    del torch
    return built


def optimizers(config, built):
    import torch

    return {
        name: torch.optim.Adam(
            net.parameters(), lr=config.optim[name].learning_rate, betas=(config.optim[name].b1, config.optim[name].b2)
        )
        for name, net in built.items()
    }


def torch_twin(config, shape, device):
    """One iteration of `config.method` ('alphagan', 'dcgan' or 'wgan_gp') in PyTorch on `device`: `iteration(x)`."""
    import torch

    critic_norm = config.wgan_gp.critic_norm if config.method == 'wgan_gp' else None
    built = nets(config, shape, device, critic_norm)
    optim = optimizers(config, built)
    z_dim, softplus = config.model.z_dim, torch.nn.functional.softplus
    flat = config.model.kind == 'mlp'

    def prior(n):
        return torch.randn(n, z_dim, device=device)

    def generate(z, like):
        out = built['generator'](z)
        return out.view(like.shape) if flat else out

    def step(name, loss):
        optim[name].zero_grad()
        loss.backward()
        optim[name].step()

    def alphagan(x):
        encoder, generator = built['encoder'], built['generator']
        discriminator, code_discriminator = built['discriminator'], built['code_discriminator']
        lam = config.alphagan.lambda_rec
        for _ in range(config.alphagan.generator_steps):
            z_hat = encoder(x)
            x_rec, x_gen = generate(z_hat, x), generate(prior(x.shape[0]), x)
            rec = lam * (x - x_rec).abs().mean()
            e_loss = rec - code_discriminator(z_hat).mean()
            g_loss = rec - discriminator(x_rec).mean() - discriminator(x_gen).mean()
            e_grads = torch.autograd.grad(e_loss, list(encoder.parameters()), retain_graph=True)
            g_grads = torch.autograd.grad(g_loss, list(generator.parameters()))
            for net, grads in ((encoder, e_grads), (generator, g_grads)):
                for p, g in zip(net.parameters(), grads, strict=True):
                    p.grad = g
            optim['encoder'].step()
            optim['generator'].step()
        z = prior(x.shape[0])
        with torch.no_grad():
            z_hat = encoder(x)
            x_rec, x_gen = generate(z_hat, x), generate(z, x)
        d_loss = softplus(-discriminator(x)).mean() + softplus(discriminator(x_rec)).mean()
        step('discriminator', d_loss + softplus(discriminator(x_gen)).mean())
        step('code_discriminator', softplus(-code_discriminator(z)).mean() + softplus(code_discriminator(z_hat)).mean())

    def dcgan(x):
        discriminator = built['discriminator']
        with torch.no_grad():
            x_fake = generate(prior(x.shape[0]), x)
        step('discriminator', softplus(-discriminator(x)).mean() + softplus(discriminator(x_fake)).mean())
        step('generator', softplus(-discriminator(generate(prior(x.shape[0]), x))).mean())

    def wgan_gp(x):
        critic = built['discriminator']
        for _ in range(config.wgan_gp.n_critic):
            with torch.no_grad():
                x_fake = generate(prior(x.shape[0]), x)
            alpha = torch.rand(x.shape[0], *([1] * (x.dim() - 1)), device=device)
            x_hat = (alpha * x + (1 - alpha) * x_fake).requires_grad_(True)
            grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
            penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            step('discriminator', critic(x_fake).mean() - critic(x).mean() + config.wgan_gp.gp_weight * penalty)
        step('generator', -critic(generate(prior(x.shape[0]), x)).mean())

    iterations = {'alphagan': alphagan, 'dcgan': dcgan, 'wgan_gp': wgan_gp}
    if config.method not in iterations:
        raise ValueError(f'No PyTorch twin of {config.method!r}; twins: {sorted(iterations)}.')
    return iterations[config.method]
