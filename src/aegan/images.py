"""The one conversion between model outputs and pixels: models work in [-1, 1], metrics and PNGs in [0, 255].

Quantisation is rounding (what saving a PNG with torchvision or PIL from float does), so the Inception metrics see
the uint8 images a reference pipeline would read back from disk (docs/metrics.md).
"""

import numpy as np


def to_pixels(images) -> np.ndarray:
    """[-1, 1] -> float32 [0, 255], unquantised (MS-SSIM's input, max_val 255, as compare_gan)."""
    return (np.asarray(images, np.float32) + 1.0) * 127.5


def to_uint8(images) -> np.ndarray:
    """[-1, 1] -> uint8: round((x + 1) * 127.5), clipped to [0, 255]."""
    return np.clip(np.round(to_pixels(images)), 0, 255).astype(np.uint8)


def from_uint8(images) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1]: x / 127.5 - 1, the inverse of `to_pixels`."""
    return np.asarray(images).astype(np.float32) / np.float32(127.5) - 1.0
