"""The eval's plumbing, one concern per module, each importing only those above it in this list:

- `caches`: files computed once per dataset and shared by every eval (written whole or not at all);
- `inception_features`: Inception-v3 features of images and the real data's FID reference;
- `mode_counter`: the Stacked MNIST mode counter (trained once into the cache) and its real-data floor;
- `context`: the eval's `Options` and the `Context` every metric reads;
- `registry`: the metrics, one function each, and the `METRICS` that `aegan.eval` runs.

The algorithms themselves (FID, MS-SSIM, PRDC, ...) are in aegan/metrics/, with no knowledge of runs or files.
"""
