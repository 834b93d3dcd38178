"""Run outputs: scalar metrics (TensorBoard event files + log), progress (steps/s, ETA), PNG images, preemption.

TensorBoard files are written with tensorboardX: clu's metric writers import all of TensorFlow just to write
event files. Only process 0 writes; other processes log.
"""

import contextlib
import importlib.abc
import logging as pylogging
import math
import sys
import threading
import time

import matplotlib

matplotlib.use('Agg')  # Headless: no display on training machines.

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from absl import logging  # noqa: E402
from etils import epath  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from aegan import filesystem  # noqa: E402
from aegan.images import to_uint8  # noqa: E402


class MetricWriter:
    """Scalars to TensorBoard and the log; images to `<workdir>/images/*.png` (process 0 only when not enabled)."""

    def __init__(self, workdir: str, enabled: bool, label: str = ''):
        self.enabled, self.label = enabled, label  # label: prefixed to logged lines (a group's 'seed 3: ')
        self.image_dir = epath.Path(workdir) / 'images'
        self._tb = None
        if enabled:
            with _torch_hidden():
                from tensorboardX import SummaryWriter

            self.image_dir.mkdir(parents=True, exist_ok=True)
            self._tb = SummaryWriter(logdir=str(epath.Path(workdir) / 'tensorboard'))

    def write_scalars(self, step: int, scalars: dict) -> None:
        logging.info('[%d] %s%s', step, self.label, ', '.join(f'{k}={_fmt(v)}' for k, v in sorted(scalars.items())))
        if self._tb is not None:
            for name, value in scalars.items():
                self._tb.add_scalar(name, float(value), step)
            self._tb.flush()

    def write_image_grid(self, step: int, name: str, images: np.ndarray) -> str | None:
        """Writes NHWC images in [-1, 1] as one square-ish grid PNG; returns its path."""
        if not self.enabled:
            return None
        path = save_image_grid(self.image_dir / f'{name}_{step:07d}.png', images)
        self._tb.add_image(name, image_grid(images), step, dataformats='HWC')  # raw size: TensorBoard zooms itself
        return path

    def write_reconstructions(self, step: int, originals: np.ndarray, reconstructions: np.ndarray) -> str | None:
        """PNG: labelled original | reconstruction pairs; TensorBoard: the raw-size grid, rows alternating."""
        if not self.enabled:
            return None
        path = save_reconstruction_grid(self.image_dir / f'reconstructions_{step:07d}.png', originals, reconstructions)
        alternating = np.stack([originals, reconstructions], 1).reshape(-1, *originals.shape[1:])
        self._tb.add_image('reconstructions', image_grid(alternating), step, dataformats='HWC')
        return path

    def write_scatter(self, step: int, name: str, points: np.ndarray, centers: np.ndarray | None) -> str | None:
        """Writes 2D points (and the mixture's modes) as a scatter-plot PNG; returns its path."""
        if not self.enabled:
            return None
        path = save_scatter(self.image_dir / f'{name}_{step:07d}.png', points, centers, title=f'{name}, step {step}')
        with epath.Path(path).open('rb') as f, Image.open(f) as picture:  # the same plot in TensorBoard's images
            self._tb.add_image(name, np.asarray(picture.convert('RGB')), step, dataformats='HWC')
        return path

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == 'torch' or name.startswith('torch.'):
            raise ModuleNotFoundError(f'{name} is hidden while tensorboardX is imported (writers._torch_hidden)')
        return None


@contextlib.contextmanager
def _torch_hidden():
    """tensorboardX imports torch, where it is installed, only to accept torch tensors, which we never hand it; that
    import took 1.2-2.1 s of every `aegan.train` start on a machine with torch (`python -X importtime`; `aegan.eval`
    writes no TensorBoard file). Within this block `import torch` fails, so tensorboardX skips it; afterwards torch
    imports as usual. A process that already imported torch keeps it."""
    if 'torch' in sys.modules:
        yield
        return
    finder = _NoTorch()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def _fmt(value) -> str:
    return f'{value:.4g}' if isinstance(value, float) else str(value)


def _save_figure(fig, path) -> None:
    with epath.Path(path).open('wb') as f:
        fig.savefig(f, dpi=80, format='png')
    plt.close(fig)


def save_image_grid(path: str, images: np.ndarray) -> str:
    """Writes NHWC images in [-1, 1] as one readable grid PNG at `path` (`readable_grid`)."""
    return _save_png(path, readable_grid(images))


def save_reconstruction_grid(path: str, originals: np.ndarray, reconstructions: np.ndarray) -> str:
    """Writes original | reconstruction pairs side by side, under a header that says which is which."""
    return _save_png(path, labelled_pairs(originals, reconstructions))


def _save_png(path: str, grid: np.ndarray) -> str:
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


def image_grid(images: np.ndarray, columns: int | None = None, scale: int = 1, border: int = 1, border_value: int = 0):
    """[n, h, w, c] in [-1, 1] -> one uint8 image (`tile`). Defaults: the raw-size grid that TensorBoard shows."""
    return tile(to_uint8(images), columns, scale, border, border_value)


def tile(images: np.ndarray, columns: int | None = None, scale: int = 1, border: int = 1, border_value: int = 0):
    """uint8 [n, h, w, c] -> one uint8 image: `columns` (default: square-ish) cells of `scale` x the images (nearest
    neighbour), `border` px of `border_value` between and around them."""
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w, c = images.shape
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    step_h, step_w = h + border, w + border
    grid = np.full((rows * step_h + border, cols * step_w + border, c), border_value, np.uint8)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        grid[border + r * step_h : border + r * step_h + h, border + q * step_w : border + q * step_w + w] = image
    return grid


READABLE_CELL_PIXELS = 64  # PNG grids: small images are scaled up to at least this many pixels a side


def readable_scale(size: int) -> int:
    """The integer nearest-neighbour factor that brings `size` px to >= READABLE_CELL_PIXELS (28 -> 3, 32 -> 2)."""
    return max(1, -(-READABLE_CELL_PIXELS // size))


def readable_grid(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """The PNG form of `image_grid`: cells scaled up (nearest, so no blur) and 2 px grey borders, which separate
    cells on dark (MNIST) and light backgrounds alike."""
    return image_grid(images, columns, readable_scale(max(images.shape[1:3])), border=2, border_value=128)


def labelled_pairs(originals: np.ndarray, reconstructions: np.ndarray, pairs_per_row: int = 4) -> np.ndarray:
    """Reconstructions beside their originals: each row holds `pairs_per_row` pairs (original left, reconstruction
    right, a wider gap between pairs), under a header that labels every pair column 'original | reconstruction'."""
    if originals.shape != reconstructions.shape:
        raise ValueError(f'{originals.shape} originals but {reconstructions.shape} reconstructions.')
    scale, gap = readable_scale(max(originals.shape[1:3])), 6
    pairs = np.concatenate([to_uint8(originals), to_uint8(reconstructions)], axis=2)  # [n, h, 2w, c]: side by side
    pair_width = pairs.shape[2] * scale
    body = tile(pairs, pairs_per_row, scale, border=gap, border_value=128)
    font = ImageFont.load_default(size=max(10, min(16, pair_width // 14)))
    header_height = font.getbbox('Ag')[3] + 8
    header = Image.new('L' if body.shape[-1] == 1 else 'RGB', (body.shape[1], header_height), 'white')
    draw = ImageDraw.Draw(header)
    label = 'original | reconstruction'
    if font.getlength(label) > pair_width:
        label = 'orig. | recon.'
    for q in range(min(pairs_per_row, len(pairs))):
        centre = gap + q * (pair_width + gap) + pair_width / 2
        draw.text((centre, header_height / 2), label, fill='black', font=font, anchor='mm')
    header = np.asarray(header).reshape(header_height, body.shape[1], -1)
    return np.concatenate([header, body], axis=0)


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
    """Drops INFO/DEBUG records from Orbax (dozens of lines per save), its warnings that a read-only manager (the
    eval's, which asked for it) is read-only, and the tracebacks its writer threads and their asyncio tasks log when
    the disk is full or read-only (checkpointing.save reports that fault in one line); keeps its other warnings and
    errors."""

    def filter(self, record):
        if record.exc_info and filesystem.is_storage_fault(record.exc_info[1]):  # also asyncio's, of Orbax's tasks
            return False
        if '/orbax/' not in record.pathname:
            return True
        if record.levelno >= pylogging.ERROR and filesystem.is_storage_fault(Exception(record.getMessage())):
            return False
        return record.levelno >= pylogging.WARNING and 'read only' not in record.getMessage().replace('_', ' ')


def quiet_library_logs() -> None:
    """For the binaries' main: Orbax's chatter off (`_LibraryInfoFilter`), and the "Event loop is closed" that
    TensorStore's pending writes raise into Python after a failed save has closed Orbax's event loop (the save's
    one-line error says what happened; these would only add tracebacks after it), and a library thread's full or
    read-only disk (TensorBoard's event writer), which the main thread's save then reports in its line."""
    logging.get_absl_handler().addFilter(_LibraryInfoFilter())
    previous = sys.unraisablehook

    def hook(unraisable):
        if not (isinstance(unraisable.exc_value, RuntimeError) and str(unraisable.exc_value) == 'Event loop is closed'):
            previous(unraisable)

    sys.unraisablehook = hook
    previous_thread_hook = threading.excepthook

    def thread_hook(args):
        # TensorBoard's event-writer thread meets the same full disk as the save: the save's line reports it.
        if not (isinstance(args.exc_value, OSError) and filesystem.is_storage_fault(args.exc_value)):
            previous_thread_hook(args)

    threading.excepthook = thread_hook


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
