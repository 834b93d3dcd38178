"""Batches/s of the TFDS input pipeline alone (Grain, random access, decode + [-1, 1]), to set beside the step time.

    python benchmarks/input_pipeline.py [--dataset cifar10] [--num_train 10000] [--batch_size 64] [--threads 1,2,4,0]
    python benchmarks/input_pipeline.py --data_dir ~/tensorflow_datasets      # real prepared data instead

Without --data_dir it first writes a synthetic dataset with TFDS's real builder (`aegan.data.synthetic_tfds`): the
same record format and image sizes as the real one. CIFAR images are uniform noise, which compresses worse than
real photos, so PNG decoding is if anything slower than on real CIFAR-10; CelebA images are smooth 218x178 JPEGs.
It reads `--batches` batches after one warm-up batch, as one process (`--processes 2`: process 0's half of each
global batch). Threads 0 = aegan's default (one per core, at most 16). Timing only, nothing is asserted.
"""

import argparse
import os
import tempfile
import time

from aegan import configs, data
from aegan.data import synthetic_tfds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dataset', default='cifar10', choices=['cifar10', 'celeb_a'])
    parser.add_argument('--data_dir', default=None)
    parser.add_argument('--num_train', type=int, default=10_000)
    parser.add_argument('--batch_size', type=int, default=64)
    parser.add_argument('--batches', type=int, default=100)
    parser.add_argument('--processes', type=int, default=1)
    parser.add_argument('--threads', default='1,2,4,0')
    args = parser.parse_args()

    data_dir = args.data_dir
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix='aegan_pipeline_')
        t0 = time.perf_counter()
        synthetic_tfds.write(args.dataset, data_dir, num_train=args.num_train, num_test=100)
        print(f'wrote synthetic {args.dataset} ({args.num_train} train records) in {time.perf_counter() - t0:.0f} s')
    print(
        f'{args.dataset}: batch {args.batch_size} (this process: {args.batch_size // args.processes} rows), '
        f'{os.cpu_count()} CPU cores'
    )
    for threads in map(int, args.threads.split(',')):
        config = configs.base_config().data
        config.name, config.data_dir, config.num_threads = args.dataset, data_dir, threads
        config.num_test_examples = 100
        if args.dataset == 'celeb_a':
            config.crop = 108
        dataset = data.get_dataset(config)
        batches = dataset.batches(0, 0, args.batch_size, 0, args.processes, labelled=False)
        next(batches)  # warm-up: threads started, first files opened
        t0 = time.perf_counter()
        for _ in range(args.batches):
            next(batches)
        rate = args.batches / (time.perf_counter() - t0)
        images = rate * args.batch_size / args.processes
        print(f'  num_threads={threads or "auto"}: {rate:.1f} batches/s ({images:.0f} images/s)')


if __name__ == '__main__':
    main()
