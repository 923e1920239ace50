"""Randomness that is a function of (seed, position), so ``--resume`` continues
exactly.
"""
import random

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook

from mmtnt.registry import HOOKS
from .dataloader import (DatasetWrapper, rebuild_dataloader,
                         replace_train_dataloader)

# odd 64-bit constant (golden ratio) to spread the counters
_MIX = 0x9E3779B97F4A7C15


def derive_seed(*numbers):
    """A 32-bit seed from integers (the same integers give the same seed in
    every process).
    """
    h = 0
    for n in numbers:
        h = (h * _MIX + int(n) + 1) % (1 << 64)
        h ^= h >> 29
    return h % (1 << 32)


def seed_everything(seed):
    """Seed python's ``random``, numpy's global generator and torch (CPU and
    CUDA).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class SeededDataset(DatasetWrapper):
    """Wraps a dataset whose keys are ``index + len(dataset) * counter``: seeds
    every RNG from (seed, counter) before loading ``dataset[index]``, in
    whichever worker loads it."""

    def __init__(self, dataset, seed):
        super().__init__(dataset)
        self.seed = seed

    def __getitem__(self, key):
        counter, index = divmod(int(key), len(self.dataset))
        seed_everything(derive_seed(self.seed, counter))
        return self.dataset[index]

    def get_data_info(self, key):
        return self.dataset.get_data_info(int(key) % len(self.dataset))


class SeededSampler:
    """Wraps a sampler: yields each index with a counter unique to (epoch,
    rank, position).
    """

    def __init__(self, sampler, dataset):
        self.sampler = sampler
        self.dataset = dataset  # what batch samplers read (get_data_info)
        self.epoch = 0

    def __len__(self):
        return len(self.sampler)

    def set_epoch(self, epoch):
        self.epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def __iter__(self):
        rank, world_size = get_dist_info()
        n = len(self.dataset)
        for position, index in enumerate(self.sampler):
            counter = (
                (self.epoch * len(self.sampler) + position) * world_size +
                rank)
            yield index + n * counter


def seeded_dataloader(loader, seed):
    """The same DataLoader, with samples augmented from (seed, epoch, rank,
    position).
    """
    dataset = SeededDataset(loader.dataset, seed)
    return rebuild_dataloader(loader, dataset,
                              lambda sampler: SeededSampler(sampler, dataset))


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Makes every random draw of training a function of the seed and its
    position, so a run resumed from any checkpoint ends with the weights of an
    uninterrupted run.

    Data augmentation is seeded per sample from (seed, epoch, rank, position in
    the epoch), in whichever worker loads it; the main process (dropout, drop
    path, mixup, cutmix) per iteration from (seed, iteration, rank). Needs
    ``randomness=dict(seed=...)`` or mmengine's random seed, which checkpoints
    keep.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner):
        replace_train_dataloader(
            runner, seeded_dataloader(runner.train_loop.dataloader,
                                      runner.seed))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        rank, _ = get_dist_info()
        seed_everything(derive_seed(runner.seed, runner.iter, rank))
