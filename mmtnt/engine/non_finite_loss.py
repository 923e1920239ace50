"""A NaN or infinite loss stops training with one line (or, on request, its
step is skipped).
"""
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmtnt.registry import HOOKS


class NonFiniteLossError(RuntimeError):
    """The loss of a training iteration is NaN or infinite."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Checks the loss before every optimizer step of this run.

    The run's own model and optimizer wrapper get a check in front of
    ``parse_losses`` and ``update_params`` (instance attributes of this run's
    objects; nothing else changes). A non-finite loss raises
    :class:`NonFiniteLossError` naming the iteration and every loss term,
    before the weights change, so the last checkpoint stays the last good one.

    Args:
        skip (bool): Skip such a step instead (gradients dropped, logged and
            counted). Defaults to False.
    """

    priority = 'HIGHEST'

    def __init__(self, skip=False):
        self.skip = skip
        self.skipped = 0
        self.terms = {}

    def before_train(self, runner):
        model = runner.model.module if hasattr(runner.model,
                                               'module') else runner.model
        parse_losses = model.parse_losses

        def parse_and_keep(losses):
            loss, log_vars = parse_losses(losses)
            self.terms = {
                k: float(v.detach() if torch.is_tensor(v) else v)
                for k, v in log_vars.items()
            }
            return loss, log_vars

        model.parse_losses = parse_and_keep
        optim_wrapper = runner.optim_wrapper
        update_params = optim_wrapper.update_params

        def checked_update(loss, *args, **kwargs):
            if torch.isfinite(loss).all():
                return update_params(loss, *args, **kwargs)
            terms = ', '.join(f'{k}={v:.4g}' for k, v in self.terms.items())
            if not self.skip:
                raise NonFiniteLossError(
                    f'iteration {runner.iter + 1}: the loss is not finite '
                    f'({terms}); training '
                    'stopped before the weights changed, the last checkpoint '
                    'in '
                    f'{runner.work_dir} is intact. Lower the lr, or skip such '
                    'steps with '
                    'default_hooks.non_finite_loss.skip=True.')
            self.skipped += 1
            optim_wrapper.zero_grad()
            print_log(
                f'iteration {runner.iter + 1}: skipped a step with a '
                'non-finite loss '
                f'({terms}); {self.skipped} skipped so far',
                logger='current',
                level=30)

        optim_wrapper.update_params = checked_update
