"""A NaN or infinite loss stops training with one line (or, on request, its
step is skipped).
"""
import torch
import torch.distributed as dist
from mmengine.dist import all_gather_object, get_rank, get_world_size
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
    objects; nothing else changes). The ranks decide together (one flag a
    rank, all-reduced): a non-finite loss on any rank makes every rank raise
    :class:`NonFiniteLossError` with the same message (also logged), naming
    the iteration, the failing ranks and their loss terms, before the weights
    change, so the last checkpoint stays the last good one.

    Args:
        skip (bool): Every rank skips such a step instead (gradients
            dropped, logged and counted). Defaults to False.
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
            self.terms = log_vars  # tensors: read only when a step fails
            return loss, log_vars

        model.parse_losses = parse_and_keep
        optim_wrapper = runner.optim_wrapper
        update_params = optim_wrapper.update_params

        def checked_update(loss, *args, **kwargs):
            failing = nonfinite_ranks(loss)
            if not failing:
                return update_params(loss, *args, **kwargs)
            self._refuse(runner, failing)
            optim_wrapper.zero_grad()

        optim_wrapper.update_params = checked_update

    def _refuse(self, runner, failing):
        """Stop (every rank, the same message) or count a skipped step."""
        world = get_world_size()
        terms = ', '.join(f'{k}={float(v):.4g}' for k, v in self.terms.items())
        where = ''
        if world > 1:  # every rank is here: gather the failing ranks' terms
            gathered = all_gather_object(terms)
            where = f' on rank {", ".join(map(str, failing))} of {world}'
            terms = '; '.join(f'rank {r}: {gathered[r]}' for r in failing)
        if not self.skip:
            message = (
                f'iteration {runner.iter + 1}: the loss is not finite{where} '
                f'({terms}); training stopped before the weights changed, the '
                f'last checkpoint in {runner.work_dir} is intact. Lower the '
                'lr, or skip such steps with '
                'default_hooks.non_finite_loss.skip=True.')
            # the log keeps the reason even when the launcher kills this rank
            print_log(message, logger='current', level=40)
            raise NonFiniteLossError(message)
        self.skipped += 1
        print_log(
            f'iteration {runner.iter + 1}: skipped a step with a non-finite '
            f'loss{where} ({terms}); {self.skipped} skipped so far',
            logger='current',
            level=30)


def nonfinite_ranks(loss):
    """The ranks whose ``loss`` is not finite (all ranks take part: one flag
    a rank, summed on the loss's device, read once)."""
    flags = torch.zeros(get_world_size(), device=loss.device)
    flags[get_rank()] = (~torch.isfinite(loss.detach())).any().float()
    if get_world_size() > 1:
        dist.all_reduce(flags)
    return flags.nonzero().flatten().tolist()
