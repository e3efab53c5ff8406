"""The weight payload the browser decodes from: what it holds, that numpy decoding it reproduces
torch, and the slider metadata (KL order, active dims, ranges, z in the URL)."""
import numpy as np
import pytest
import torch

from tests.conftest import SHIPPED
from ui.components.decoder import (MAX_SCATTER, decode_payload, encode_payload, format_z, parse_z,
                                  read_payload, slider_ranges)
from vae.model import VAE, VAEConfig
from vae.run import DEFAULT_ROOT, RunDir


def _torch_decode(model, z, dtype=torch.float32):
    """torch's decode_mean of float32 z; in float64 it is the exact value of the float32 net."""
    z = torch.as_tensor(np.asarray(z, np.float32))
    with torch.no_grad():
        return model.to(dtype).decode_mean(z.to(dtype)).numpy()


@pytest.mark.parametrize("run", SHIPPED)
def test_payload_decodes_like_torch_for_shipped_runs(run):
    model = RunDir(DEFAULT_ROOT / run).load_model()
    payload = encode_payload(model)
    z = np.random.default_rng(0).normal(0, 2, size=(16, model.config.latent_dim))
    got = decode_payload(payload, z)
    err = np.abs(got - _torch_decode(model, z, torch.float64)).max()
    assert err <= 1e-6, f"{run}: payload decode differs from torch (float64) by {err:.2e}"
    # torch's own float32 sums over 256-400 terms round differently by about 1e-6.
    err32 = np.abs(got - _torch_decode(model, z)).max()
    assert err32 <= 1e-5, f"{run}: payload decode differs from torch (float32) by {err32:.2e}"


@pytest.mark.parametrize("hidden,latent", [((16, 8), 3), ((8, 4), 5)])
def test_payload_decodes_like_torch_for_conv_decoders(hidden, latent):
    torch.manual_seed(0)
    model = VAE(VAEConfig(arch="conv", hidden=hidden, latent_dim=latent)).eval()
    z = np.random.default_rng(1).normal(0, 2, size=(4, latent))
    payload = encode_payload(model)
    err = np.abs(decode_payload(payload, z) - _torch_decode(model, z, torch.float64)).max()
    assert err <= 1e-6, f"conv {hidden}: payload decode differs from torch by {err:.2e}"


def test_payload_is_compact_float32():
    model = RunDir(DEFAULT_ROOT / "mnist5k-2d").load_model()
    payload = encode_payload(model)
    n_params = sum(p.numel() for p in model.decoder.parameters())
    header, body = read_payload(payload)
    assert len(body) == 4 * n_params, "the body is not exactly the decoder's float32 parameters"
    assert len(payload) - len(body) < 2048, "the header is larger than expected"
    hidden = model.config.hidden
    assert [layer["type"] for layer in header["layers"]] == ["linear", "relu"] * len(hidden) + [
        "linear"], "one linear+relu per hidden layer, then the output layer"
    sizes = [2, *reversed(hidden), 28 * 28]  # the decoder mirrors the encoder's hidden sizes
    assert [(layer["in"], layer["out"]) for layer in header["layers"] if layer["type"] == "linear"
            ] == list(zip(sizes, sizes[1:]))
    assert header["latent_dim"] == 2 and header["image_shape"] == [1, 28, 28]


def test_payload_id_changes_with_weights_only():
    torch.manual_seed(0)
    a = VAE(VAEConfig(hidden=(8,), latent_dim=2)).eval()
    b = VAE(VAEConfig(hidden=(8,), latent_dim=2)).eval()
    b.load_state_dict(a.state_dict())
    id_a = read_payload(encode_payload(a))[0]["id"]
    assert id_a == read_payload(encode_payload(b))[0]["id"], "same weights, different id"
    with torch.no_grad():
        b.decoder[0].bias[0] += 1e-3
    assert id_a != read_payload(encode_payload(b))[0]["id"], "different weights, same id"


def test_payload_carries_the_scatter():
    torch.manual_seed(0)
    model = VAE(VAEConfig(hidden=(8,), latent_dim=3)).eval()
    mu = np.random.default_rng(0).normal(size=(MAX_SCATTER + 50, 3)).astype(np.float32)
    labels = np.arange(len(mu)) % 10
    header, body = read_payload(encode_payload(model, {"mu": mu, "labels": labels,
                                                        "class_names": list("abcdefghij")}))
    sc = header["scatter"]
    got_mu = np.frombuffer(body, "<f4", sc["mu"][1], sc["mu"][0]).reshape(sc["n"], sc["dims"])
    got_labels = np.frombuffer(body, "u1", sc["labels"][1], sc["labels"][0])
    assert sc["n"] == MAX_SCATTER
    np.testing.assert_array_equal(got_mu, mu[:MAX_SCATTER])
    np.testing.assert_array_equal(got_labels, labels[:MAX_SCATTER])
    assert sc["class_names"] == list("abcdefghij")


def test_payload_rejects_what_is_not_one():
    with pytest.raises(ValueError, match="not a decoder payload"):
        read_payload(b"PNG\0" + bytes(16))


def test_slider_ranges_cover_prior_and_wide_codes():
    mu = np.stack([np.random.default_rng(0).normal(0, 1, 1000), np.linspace(-20, 7, 1000)], 1)
    ranges = slider_ranges(2, mu)
    assert ranges[0].tolist() == [-3.0, 3.0] or (ranges[0][0] <= -3 and ranges[0][1] >= 3)
    assert ranges[1][0] <= -19.5 and ranges[1][1] >= 6.5, "wide autoencoder codes are cut off"
    assert slider_ranges(3).tolist() == [[-3.0, 3.0]] * 3


def test_z_round_trips_through_the_url():
    z = np.array([0.123, -1.3, 2.0])
    assert format_z(z) == "0.12,-1.30,2.00"
    np.testing.assert_allclose(parse_z(format_z(z), 3), [0.12, -1.30, 2.0])


@pytest.mark.parametrize("text", [None, "", "1,2", "a,b,c", "1,nan,2", "1,2,3,4"])
def test_parse_z_refuses_what_does_not_fit(text):
    assert parse_z(text, 3) is None


def test_payload_carries_the_pads_test_images_as_a_sprite():
    from ui.components.hover_images import tile
    from ui.figures.images import to_uint8

    torch.manual_seed(0)
    model = VAE(VAEConfig(hidden=(8,), latent_dim=2)).eval()
    rng = np.random.default_rng(1)
    n = MAX_SCATTER + 10
    images = rng.random((n, 1, 28, 28)).astype(np.float32)
    header, body = read_payload(encode_payload(model, {
        "mu": rng.normal(size=(n, 2)), "labels": np.zeros(n, int), "class_names": ["a"],
        "images": images}))
    sprite = header["scatter"]["sprite"]
    assert sprite["n"] == MAX_SCATTER, "one image per point drawn on the pad"
    png = bytes(body[sprite["png"][0]:sprite["png"][0] + sprite["png"][1]])
    for i in (0, 777, MAX_SCATTER - 1):
        assert np.array_equal(tile(png, sprite, i), to_uint8(images[i, 0])), f"image {i}"


def test_pages_with_different_scatters_keep_their_payloads(monkeypatch):
    """Generate (scatter with images), the explanation page (without) and Draw (with the
    encoder) share one cached model: none of them re-encodes the others' payload."""
    import ui.components.decoder as dec
    calls = []
    real = dec.encode_payload
    monkeypatch.setattr(dec, "encode_payload", lambda *a, **k: calls.append(1) or real(*a, **k))
    model = VAE(VAEConfig(hidden=(8,), latent_dim=2)).eval()
    mu = np.random.default_rng(0).normal(size=(50, 2))
    plain = {"mu": mu, "labels": np.zeros(50, int), "class_names": ["a"]}
    images = {**plain, "images": np.zeros((50, 1, 28, 28), np.float32)}
    first = [dec.model_payload(model, s, encoder=e) for s, e in
             ((images, False), (plain, False), (plain, True))]
    again = [dec.model_payload(model, s, encoder=e) for s, e in
             ((images, False), (plain, False), (plain, True))]
    assert len(calls) == 3 and all(a[0] is b[0] for a, b in zip(first, again))
    assert len({h for _, h in first}) == 3
