"""For tests: a hook that SIGKILLs the training process group at a chosen
point, as kill -9 would, but at exactly that point."""
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAt(Hook):
    """Kill after training iteration ``iter`` (0-based), after the checkpoint
    of epoch ``epoch`` (1-based) is written, or after the first validation
    iteration of epoch ``epoch``. With ``rank``, only that rank's process dies
    (a dead worker of a distributed run); otherwise the whole process group
    (the run and its dataloader workers).
    """

    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, point, epoch=None, iter=None, rank=None):
        self.point, self.epoch, self.iter, self.rank = point, epoch, iter, rank

    def kill(self):
        if self.rank is None:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        elif int(os.environ.get('RANK', 0)) == self.rank:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        if self.point == 'train_iter' and runner.iter == self.iter:
            self.kill()

    def after_train_epoch(self, runner):
        if self.point == 'after_checkpoint' and runner.epoch + 1 == self.epoch:
            self.kill()

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if (self.point == 'val_iter' and runner.epoch == self.epoch
                and batch_idx == 0):
            self.kill()
