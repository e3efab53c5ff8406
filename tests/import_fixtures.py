"""Models this project did not train, for the import tests.

ExamplesVAE and examples_loss restate pytorch/examples vae/main.py (the VAE most tutorials copy):
the same layers, forward pass and loss; train_examples trains it as that script does (Adam 1e-3,
batch 128, shuffled, BCE summed over pixels plus KL). The modules below them are "your own
nn.Module" cases for --module: one whose layers map onto the engine's MLP, and one that does not.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F


class ExamplesVAE(nn.Module):
    def __init__(self, pixels: int = 784, hidden: int = 400, latent: int = 20):
        super().__init__()
        self.pixels = pixels
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.pixels))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def examples_loss(recon_x, x, mu, logvar, pixels: int = 784):
    """Reconstruction + KL divergence losses summed over all elements and batch."""
    bce = F.binary_cross_entropy(recon_x, x.view(-1, pixels), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train_examples(train_x: torch.Tensor, epochs: int = 2, hidden: int = 400, latent: int = 20,
                   seed: int = 1) -> ExamplesVAE:
    """pytorch/examples' train(): Adam lr 1e-3, batch 128, shuffled, loss summed per batch."""
    torch.manual_seed(seed)
    pixels = train_x[0].numel()
    model = ExamplesVAE(pixels, hidden, latent)

    def loss(data):
        recon_batch, mu, logvar = model(data)
        return examples_loss(recon_batch, data, mu, logvar, pixels)
    return _adam(model, train_x, epochs, loss)


def _adam(model: nn.Module, train_x: torch.Tensor, epochs: int, loss) -> nn.Module:
    """pytorch/examples' loop: Adam lr 1e-3, batch 128, shuffled; loss(batch) a tensor."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x), batch_size=128,
                                         shuffle=True)
    model.train()
    for _ in range(epochs):
        for (data,) in loader:
            optimizer.zero_grad()
            loss(data).backward()
            optimizer.step()
    return model.eval()


class TwoLayerVAE(nn.Module):
    """A user's own VAE: two hidden layers, encode gives a Normal, decode gives logits."""

    def __init__(self, pixels: int = 784, widths: tuple[int, int] = (64, 32), latent: int = 3):
        super().__init__()
        a, b = widths
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(pixels, a), nn.ReLU(), nn.Linear(a, b),
                                  nn.ReLU())
        self.mean_head = nn.Linear(b, latent)
        self.logvar_head = nn.Linear(b, latent)
        self.dec = nn.Sequential(nn.Linear(latent, b), nn.ReLU(), nn.Linear(b, a), nn.ReLU(),
                                 nn.Linear(a, pixels))

    def encode(self, x):
        h = self.body(x)
        return torch.distributions.Normal(self.mean_head(h), torch.exp(0.5 * self.logvar_head(h)))

    def decode(self, z):
        return self.dec(z)


class TanhVAE(TwoLayerVAE):
    """The same layers with tanh activations: they do not map onto the engine's ReLU MLP."""

    def __init__(self):
        super().__init__()
        self.body[2] = nn.Tanh()


def make_two_layer() -> nn.Module:
    torch.manual_seed(3)
    return TwoLayerVAE()


def make_tanh() -> nn.Module:
    torch.manual_seed(3)
    return TanhVAE()


class LeakyMeansVAE(TwoLayerVAE):
    """LeakyReLU layers and a sigmoid at the decoder's end (it decodes means): not the engine's
    layers either, so it too runs as its own code."""

    def __init__(self):
        super().__init__()
        self.body[2] = nn.LeakyReLU(0.1)
        self.dec.append(nn.Sigmoid())

    def encode(self, x):
        h = self.body(x)
        return self.mean_head(h), self.logvar_head(h)


def make_leaky_means() -> nn.Module:
    torch.manual_seed(4)
    return LeakyMeansVAE()


def train_module(model: nn.Module, train_x: torch.Tensor, epochs: int = 2,
                 seed: int = 1) -> nn.Module:
    """A few epochs of the plain ELBO (Bernoulli, one z per image) on any module with encode
    returning (mu, logvar) or a Normal and decode giving logits: pictures worth looking at."""
    torch.manual_seed(seed)

    def loss(x):
        q = model.encode(x)
        mu, logvar = (q.loc, 2 * torch.log(q.scale)) if isinstance(
            q, torch.distributions.Normal) else q
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        recon = F.binary_cross_entropy_with_logits(model.decode(z), x.flatten(1), reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (recon + kl) / len(x)
    return _adam(model, train_x, epochs, loss)


def import_code_run(root: Path, project: Path, name: str = "tanh") -> None:
    """The tanh module (not the engine's layers) trained 20 epochs (seconds) and imported into
    root as its own code, from the project folder where tests.import_fixtures is found."""
    from safetensors.torch import save_file

    from vae.data import load_dataset
    from vae.import_model import import_model
    net = train_module(make_tanh(), torch.from_numpy(load_dataset("mnist-5k").train_x.copy()),
                       epochs=20)
    weights = root.parent / f"{name}.safetensors"
    save_file(net.state_dict(), weights)
    cwd = os.getcwd()
    os.chdir(project)
    try:
        import_model(None, "mnist-5k", name, root, module="tests.import_fixtures:make_tanh",
                     weights=weights, trust_code=True)
    finally:
        os.chdir(cwd)


class ConvVAE(nn.Module):
    """A user's convolutional VAE in the engine's conv layout: it converts, and so runs in the
    browser. Its decode gives means (a sigmoid at the end)."""

    def __init__(self, c1: int = 8, c2: int = 16, latent: int = 4):
        super().__init__()
        self.c2 = c2
        self.enc = nn.Sequential(nn.Conv2d(1, c1, 4, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 4, 2, 1),
                                 nn.ReLU(), nn.Flatten())
        self.mu = nn.Linear(c2 * 49, latent)
        self.logvar = nn.Linear(c2 * 49, latent)
        self.fc = nn.Linear(latent, c2 * 49)
        self.dec = nn.Sequential(nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(c1, 1, 4, 2, 1), nn.Sigmoid())

    def encode(self, x):
        h = self.enc(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.dec(torch.relu(self.fc(z)).view(-1, self.c2, 7, 7))


def make_conv() -> nn.Module:
    torch.manual_seed(5)
    return ConvVAE()
