"""For tests: a hook that makes one rank's loss NaN at one iteration, through a
NaN in its backbone's output."""
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class InjectNaN(Hook):
    """Rank ``rank``'s loss is NaN at training iteration ``iteration``
    (1-based); every other step is untouched."""

    priority = 'LOWEST'

    def __init__(self, rank, iteration):
        self.rank, self.iteration, self.armed = rank, iteration, False

    def before_train(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model.backbone.register_forward_hook(self._poison)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.armed = (
            get_rank() == self.rank and runner.iter + 1 == self.iteration)

    def after_train_iter(self, runner, *args, **kwargs):
        self.armed = False

    def _poison(self, module, inputs, output):
        if not self.armed:
            return output
        if isinstance(output, tuple):
            return tuple(o * float('nan') for o in output)
        return output * float('nan')
