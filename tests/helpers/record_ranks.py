"""For tests: a hook that writes what each rank of a run saw and ended with,
so that a test can compare the ranks of a distributed run with each other and
with a 1-process run."""
import json
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RecordRanks(Hook):
    """After training, each rank writes ``rank{R}.json`` (the dataset indices
    of its training batches, in order) and ``rank{R}.pth`` (its model's
    state dict) into the work dir.
    """

    priority = 'LOWEST'

    def before_run(self, runner):
        self.batches = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.batches.append(
            [int(s.sample_idx) for s in data_batch['data_samples']])

    def after_train(self, runner):
        rank = get_rank()
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        torch.save(model.state_dict(),
                   osp.join(runner.work_dir, f'rank{rank}.pth'))
        with open(osp.join(runner.work_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(self.batches, f)
