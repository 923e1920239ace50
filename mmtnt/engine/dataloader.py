"""Rebuilding a runner's training DataLoader around a wrapped dataset and
sampler.
"""
import copy

from torch.utils.data import DataLoader


class DatasetWrapper:
    """Forwards everything but ``__getitem__`` to ``dataset`` (metainfo,
    get_data_info ...).
    """

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getattr__(self, name):
        if name.startswith(
                '__') or name == 'dataset':  # unpickling in a worker
            raise AttributeError(name)
        return getattr(self.dataset, name)


def rebuild_dataloader(loader, dataset, wrap_sampler=None):
    """A DataLoader like ``loader`` (workers, collate, batch sampler ...) over
    ``dataset``, its sampler passed through ``wrap_sampler`` if given."""
    wrap_sampler = wrap_sampler or (lambda sampler: sampler)
    common = dict(
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        persistent_workers=loader.persistent_workers)
    if loader.num_workers > 0:
        common['prefetch_factor'] = loader.prefetch_factor
    batch_sampler = loader.batch_sampler
    if type(batch_sampler
            ).__name__ == 'BatchSampler':  # torch's own: rebuilt by DataLoader
        return DataLoader(
            dataset,
            batch_size=loader.batch_size,
            sampler=wrap_sampler(loader.sampler),
            drop_last=loader.drop_last,
            **common)
    batch_sampler = copy.copy(
        batch_sampler)  # e.g. mmdet's AspectRatioBatchSampler
    batch_sampler.sampler = wrap_sampler(batch_sampler.sampler)
    return DataLoader(dataset, batch_sampler=batch_sampler, **common)


def replace_train_dataloader(runner, loader):
    """Put ``loader`` in the runner's train loop (before its first iteration).
    """
    loop = runner.train_loop
    loop.dataloader = loader
    if hasattr(loop, 'dataloader_iterator'):  # IterBasedTrainLoop
        loop.dataloader_iterator = type(loop.dataloader_iterator)(loader)
