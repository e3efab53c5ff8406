"""The encoder in the payload: numpy reading it reproduces torch's mu and sigma (MLP and conv), the
decoder part is unchanged by carrying it, and the Draw page's helpers (brush, drawn input)."""
import numpy as np
import pytest
import torch

from tests.conftest import SHIPPED
from ui.components.decoder import encode_payload, encode_with_payload, read_payload
from ui.components.draw import brush_for, from_levels, pixels_from_browser, to_levels
from vae.data import load_dataset
from vae.model import VAE, VAEConfig
from vae.run import DEFAULT_ROOT, RunDir


def _torch_encode(model, x, dtype=torch.float32):
    with torch.no_grad():
        q = model.to(dtype).encode(torch.tensor(np.asarray(x, np.float32)).to(dtype))
        return q.mu.numpy(), q.std.numpy()


@pytest.mark.parametrize("run", SHIPPED)
def test_payload_encodes_like_torch_for_shipped_runs(run):
    model = RunDir(DEFAULT_ROOT / run).load_model()
    x = load_dataset("mnist-5k").test_x[:16]
    mu, sigma = encode_with_payload(encode_payload(model, encoder=True), x)
    want_mu, want_sigma = _torch_encode(model, x, torch.float64)
    scale = max(1.0, np.abs(want_mu).max())
    assert np.abs(mu - want_mu).max() <= 1e-6 * scale, f"{run}: mu differs from torch (float64)"
    assert np.abs(sigma - want_sigma).max() <= 1e-6, f"{run}: sigma differs from torch (float64)"


@pytest.mark.parametrize("hidden,latent,shape", [((16, 8), 3, (1, 28, 28)), ((8, 4), 5, (1, 8, 8))])
def test_payload_encodes_like_torch_for_conv_encoders(hidden, latent, shape):
    torch.manual_seed(0)
    model = VAE(VAEConfig(arch="conv", hidden=hidden, latent_dim=latent, image_shape=shape)).eval()
    x = np.random.default_rng(1).uniform(0, 1, size=(4, *shape)).astype(np.float32)
    mu, sigma = encode_with_payload(encode_payload(model, encoder=True), x)
    want_mu, want_sigma = _torch_encode(model, x, torch.float64)
    assert np.abs(mu - want_mu).max() <= 1e-6
    assert np.abs(sigma - want_sigma).max() <= 1e-6


def test_the_encoder_is_carried_only_when_asked():
    model = RunDir(DEFAULT_ROOT / "mnist5k-2d").load_model()
    plain, with_encoder = encode_payload(model), encode_payload(model, encoder=True)
    head_plain, body_plain = read_payload(plain)
    head, body = read_payload(with_encoder)
    assert "encoder" not in head_plain
    n_encoder = sum(p.numel() for m in (model.encoder, model.to_mu, model.to_logvar)
                    for p in m.parameters())
    assert len(body) - len(body_plain) == 4 * n_encoder, "the encoder is not its float32 weights"
    assert [L["type"] for L in head["encoder"]["layers"]] == ["flatten"] + ["linear", "relu"] * len(
        model.config.hidden), "the image flattened, then one linear+relu per hidden layer"
    sizes = [28 * 28, *model.config.hidden]
    assert [(L["in"], L["out"]) for L in head["encoder"]["layers"] if L["type"] == "linear"] == list(
        zip(sizes, sizes[1:]))
    assert head["layers"] == head_plain["layers"], "carrying the encoder moved the decoder"
    assert head["id"] != head_plain["id"]
    with pytest.raises(ValueError, match="no encoder"):
        encode_with_payload(plain, np.zeros((1, 1, 28, 28)))


def test_brush_scales_with_the_resolution():
    big, small = brush_for(28), brush_for(8)
    assert big["core"] > small["core"] > 0 and big["soft"] > small["soft"] > 0


@pytest.mark.parametrize("value,shape,ok", [
    ([128] * 784, (1, 28, 28), True),
    ([0, 255] * 32, (1, 8, 8), True),
    ([128] * 64, (1, 28, 28), False),
    ([128] * 783 + ["x"], (1, 28, 28), False),
    ([128] * 783 + [0.5], (1, 28, 28), False),
    ([128] * 783 + [256], (1, 28, 28), False),
    (None, (1, 28, 28), False),
])
def test_pixels_from_the_browser_are_checked(value, shape, ok):
    got = pixels_from_browser(value, shape)
    assert (got is not None) == ok
    if ok:
        assert got.shape == shape and got.dtype == np.float32
        assert 0.0 <= got.min() and got.max() <= 1.0


def test_grey_levels_round_trip_exactly():
    x = from_levels(np.arange(256))
    assert np.array_equal(to_levels(x), np.arange(256))
    assert x[255] == 1.0 and x[0] == 0.0
    assert x[1] == np.float32(1 / 255), "not the float32 the browser computes (fround(k / 255))"


def test_the_overlay_puts_the_drawing_where_the_figure_puts_mu():
    from ui.components.draw import drawn_overlay
    from ui.figures.latent import pca_projection, posterior_figure
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 4)) * [3, 1, 0.5, 0.1]
    std = np.full_like(codes, 0.3)
    labels = np.arange(300) % 10
    mu, sigma = np.array([1.0, -2.0, 0.5, 0.0]), np.array([0.2, 0.4, 0.1, 1.0])
    fig = drawn_overlay(posterior_figure(codes, std, labels, list("0123456789"), dims=(1, 0)),
                        mu, sigma, dims=(1, 0))
    star = fig.data[-1]
    assert (star.x[0], star.y[0]) == (-2.0, 1.0)
    ring = fig.data[-3]
    assert np.allclose([min(ring.x), max(ring.x)], [-2.4, -1.6], atol=1e-3), "1-sigma ring"
    assert np.allclose([min(ring.y), max(ring.y)], [0.8, 1.2], atol=1e-3)
    fig = drawn_overlay(posterior_figure(codes, std, labels, list("0123456789"), projection="pca"),
                        mu, sigma, projection="pca", codes_mu=codes)
    from sklearn.decomposition import PCA
    w = PCA(n_components=2, random_state=0).fit(codes).components_
    xy, _, _ = pca_projection(codes, std)
    assert np.allclose(xy, codes @ w.T), "not the figure's projection"
    assert np.allclose([fig.data[-1].x[0], fig.data[-1].y[0]], w @ mu)
