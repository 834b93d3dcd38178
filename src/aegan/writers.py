"""Run outputs: scalar metrics (TensorBoard event files + log), progress (steps/s, ETA), PNG images, preemption.

TensorBoard files are written with tensorboardX: clu's metric writers import all of TensorFlow just to write
event files. Only process 0 writes; other processes log.
"""

import logging as pylogging
import math
import time

import matplotlib

matplotlib.use('Agg')  # Headless: no display on training machines.

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from absl import logging  # noqa: E402
from etils import epath  # noqa: E402
from PIL import Image  # noqa: E402

from aegan.images import to_uint8  # noqa: E402


class MetricWriter:
    """Scalars to TensorBoard and the log; images to `<workdir>/images/*.png` (process 0 only when not enabled)."""

    def __init__(self, workdir: str, enabled: bool):
        self.enabled = enabled
        self.image_dir = epath.Path(workdir) / 'images'
        self._tb = None
        if enabled:
            from tensorboardX import SummaryWriter

            self.image_dir.mkdir(parents=True, exist_ok=True)
            self._tb = SummaryWriter(logdir=str(epath.Path(workdir) / 'tensorboard'))

    def write_scalars(self, step: int, scalars: dict) -> None:
        logging.info('[%d] %s', step, ', '.join(f'{k}={_fmt(v)}' for k, v in sorted(scalars.items())))
        if self._tb is not None:
            for name, value in scalars.items():
                self._tb.add_scalar(name, float(value), step)
            self._tb.flush()

    def write_image_grid(self, step: int, name: str, images: np.ndarray) -> str | None:
        """Writes NHWC images in [-1, 1] as one square-ish grid PNG; returns its path."""
        if not self.enabled:
            return None
        path = save_image_grid(self.image_dir / f'{name}_{step:07d}.png', images)
        self._tb.add_image(name, image_grid(images), step, dataformats='HWC')
        return path

    def write_scatter(self, step: int, name: str, points: np.ndarray, centers: np.ndarray | None) -> str | None:
        """Writes 2D points (and the mixture's modes) as a scatter-plot PNG; returns its path."""
        if not self.enabled:
            return None
        return save_scatter(self.image_dir / f'{name}_{step:07d}.png', points, centers, title=f'{name}, step {step}')

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


def _fmt(value) -> str:
    return f'{value:.4g}' if isinstance(value, float) else str(value)


def _save_figure(fig, path) -> None:
    with epath.Path(path).open('wb') as f:
        fig.savefig(f, dpi=80, format='png')
    plt.close(fig)


def save_image_grid(path: str, images: np.ndarray) -> str:
    """Writes NHWC images in [-1, 1] as one grid PNG at `path`."""
    grid = image_grid(images)
    with epath.Path(path).open('wb') as f:  # epath: a gs:// workdir too
        Image.fromarray(grid.squeeze(-1) if grid.shape[-1] == 1 else grid).save(f, format='PNG')
    return str(path)


def save_scatter(path: str, points: np.ndarray, centers: np.ndarray | None = None, title: str = '') -> str:
    """Writes 2D points, and the mixture's modes as red crosses, as a scatter-plot PNG at `path`."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, label='samples')
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], s=40, marker='x', c='red', label='modes')
    ax.set_aspect('equal')
    ax.legend(loc='upper right')
    ax.set_title(title or epath.Path(path).name)
    _save_figure(fig, path)
    return str(path)


def image_grid(images: np.ndarray) -> np.ndarray:
    """[n, h, w, c] in [-1, 1] -> one uint8 [rows*h, cols*w, c] image, 1 px dark borders."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + 1) + 1, cols * (w + 1) + 1, c), np.uint8)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        grid[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + q * (w + 1) : 1 + q * (w + 1) + w] = image
    return grid


class Progress:
    """Steps per second and ETA, measured between reports (the first report includes compilation)."""

    def __init__(self, total_steps: int, start_step: int):
        self.total_steps = total_steps
        self._last_step, self._last_time = start_step, time.perf_counter()

    def report(self, step: int) -> dict:
        now = time.perf_counter()
        rate = (step - self._last_step) / max(now - self._last_time, 1e-9)
        self._last_step, self._last_time = step, now
        return {'steps_per_sec': rate, 'eta_min': (self.total_steps - step) / max(rate, 1e-9) / 60}


class _LibraryInfoFilter(pylogging.Filter):
    """Drops INFO/DEBUG records from Orbax (dozens of lines per save), and its warnings that a read-only manager
    (the eval's, which asked for it) is read-only; keeps its other warnings and errors."""

    def filter(self, record):
        if '/orbax/' not in record.pathname:
            return True
        return record.levelno >= pylogging.WARNING and 'read only' not in record.getMessage().replace('_', ' ')


def quiet_library_logs() -> None:
    logging.get_absl_handler().addFilter(_LibraryInfoFilter())


def save_mode_histogram(path: str, histogram: np.ndarray, title: str = '') -> str:
    """Bar plot of how many samples fell into each mode (e.g. Stacked MNIST's 1,000 digit triples)."""
    fig, ax = plt.subplots(figsize=(10, 3))
    ax.bar(np.arange(len(histogram)), histogram, width=1.0)
    ax.set_xlabel('mode')
    ax.set_ylabel('samples')
    ax.set_title(title or epath.Path(path).name)
    fig.tight_layout()
    _save_figure(fig, path)
    return str(path)
