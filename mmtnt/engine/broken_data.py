"""A broken training sample stops the run with one line naming it, or is
skipped on request.
"""
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmtnt.datasets.sample_checks import (check_annotation, check_image_file,
                                          pipeline_backend_args, sample_files)
from mmtnt.registry import HOOKS
from .dataloader import (DatasetWrapper, rebuild_dataloader,
                         replace_train_dataloader)

HINT = (
    'tools/misc/verify_dataset.py CONFIG lists every broken file; to skip broken samples instead, set default_hooks.broken_data.skip=True'  # noqa: E501
)


class BrokenSampleError(RuntimeError):
    """A training sample whose files or annotations cannot be used."""


class GuardedDataset(DatasetWrapper):
    """Checks each sample (its files end as complete images, labels and boxes
    are in range, it loads) before handing it out; a broken one raises
    :class:`BrokenSampleError`, or with ``skip=True`` is logged, counted and
    replaced by the next sample."""

    def __init__(self, dataset, skip=False, max_skips=100):
        super().__init__(dataset)
        self.skip = skip
        self.max_skips = max_skips
        self.skipped = 0
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        self.num_classes = len(classes) if classes else None
        self.backend_args = pipeline_backend_args(dataset)

    def problem(self, index):
        """(file, reason) of a broken sample, else (None, loaded data)."""
        info = self.dataset.get_data_info(index)
        files = sample_files(info)
        for path in files:
            errors, _ = check_image_file(
                path, decode=False, backend_args=self.backend_args)
            if errors:
                return path, errors[0]
        errors = check_annotation(info, self.num_classes)
        if errors:
            return (files or ['?'])[0], errors[0]
        try:
            return None, self.dataset[index]
        except Exception as err:
            lines = [
                line for line in str(err).strip().splitlines() if line.strip()
            ]
            return (files or [
                '?'
            ])[0], f'{type(err).__name__}: {lines[-1] if lines else ""}'

    def __getitem__(self, index):
        for attempt in range(self.max_skips + 1):
            path, found = self.problem(index)
            if path is None:
                return found
            where = f'{type(self.dataset).__name__} sample {index} ({path})'
            if not self.skip:
                raise BrokenSampleError(f'{where}: {found}. {HINT}.')
            self.skipped += 1
            print_log(
                f'skipped {where}: {found} ({self.skipped} skipped in this process)',  # noqa: E501
                logger='current',
                level=30)
            index = (index + 1) % len(self.dataset)
        raise BrokenSampleError(
            f'{self.max_skips} broken samples in a row, the last {where}.')


@HOOKS.register_module()
class BrokenDataHook(Hook):
    """Guards the training data: see :class:`GuardedDataset`.

    Args:
        skip (bool): Skip broken samples (logged and counted) instead of
            stopping. Defaults to False.
    """

    priority = 'HIGHEST'  # wraps the dataset before ExactResumeHook seeds it

    def __init__(self, skip=False):
        self.skip = skip

    def before_train(self, runner):
        loader = runner.train_loop.dataloader
        replace_train_dataloader(
            runner,
            rebuild_dataloader(loader, GuardedDataset(loader.dataset,
                                                      self.skip)))
