"""A NaN or infinite loss stops training with one line, before the weights
change (or, on request, its step is skipped): an optimizer wrapper.

    optim_wrapper = dict(type='mmtnt.GuardedOptimWrapper',
                         on_nonfinite_loss='stop', optimizer=...)
"""
import torch
import torch.distributed as dist
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.logging import MessageHub, print_log
from mmengine.optim import OptimWrapper

from mmtnt.registry import OPTIM_WRAPPERS

CHOICES = ('stop', 'skip')


class NonFiniteLossError(RuntimeError):
    """The loss of a training iteration is NaN or infinite."""


class NonFiniteLossGuard:
    """Checks the loss in ``update_params`` before the backward pass (mixed
    into an mmengine optimizer wrapper).

    The ranks decide together (one flag a rank on the loss's device,
    all-reduced, read once): a non-finite loss on any rank makes every rank
    raise :class:`NonFiniteLossError` with the same message (also logged),
    naming the iteration and the failing ranks' losses, before the weights
    change, so the last checkpoint stays the last good one. With
    ``on_nonfinite_loss='skip'`` every rank skips that step instead
    (gradients dropped, logged and counted).

    A wrapper class mixes it in first and calls ``_set_guard`` from its
    ``__init__``.
    """

    def _set_guard(self, on_nonfinite_loss):
        if on_nonfinite_loss not in CHOICES:
            raise ValueError(
                f"optim_wrapper.on_nonfinite_loss={on_nonfinite_loss!r}; use 'stop' or 'skip'."  # noqa: E501
            )
        self.on_nonfinite_loss = on_nonfinite_loss
        self.skipped = 0

    def update_params(self, loss, step_kwargs=None, zero_kwargs=None):
        failing = nonfinite_ranks(loss)
        if not failing:
            return super().update_params(loss, step_kwargs, zero_kwargs)
        self._refuse(loss, failing)
        self.zero_grad()

    def _refuse(self, loss, failing):
        """Stop (every rank, the same message) or count a skipped step."""
        iteration = MessageHub.get_current_instance().get_info('iter', -1) + 1
        world = get_world_size()
        losses = f'loss={float(loss):.4g}'
        where = ''
        if world > 1:  # every rank is here: gather the failing ranks' losses
            gathered = all_gather_object(losses)
            where = f' on rank {", ".join(map(str, failing))} of {world}'
            losses = '; '.join(f'rank {r}: {gathered[r]}' for r in failing)
        if self.on_nonfinite_loss == 'stop':
            message = f"iteration {iteration}: the loss is not finite{where} ({losses}); training stopped before the weights changed, the last checkpoint is intact. Lower the lr, or skip such steps with optim_wrapper.on_nonfinite_loss='skip'."  # noqa: E501
            # the log keeps the reason even when the launcher kills this rank
            print_log(message, logger='current', level=40)
            if world > 1:  # every rank has logged before any exits
                dist.barrier()
            raise NonFiniteLossError(message)
        self.skipped += 1
        print_log(
            f'iteration {iteration}: skipped a step with a non-finite loss{where} ({losses}); {self.skipped} skipped so far',  # noqa: E501
            logger='current',
            level=30)


@OPTIM_WRAPPERS.register_module()
class GuardedOptimWrapper(NonFiniteLossGuard, OptimWrapper):
    """mmengine's ``OptimWrapper`` that stops (or skips) a step with a
    non-finite loss on any rank (:class:`NonFiniteLossGuard`).

    Args:
        on_nonfinite_loss (str): ``'stop'`` (default) or ``'skip'``.
        **kwargs: ``OptimWrapper`` arguments (optimizer, clip_grad, ...).
    """

    def __init__(self, on_nonfinite_loss='stop', **kwargs):
        super().__init__(**kwargs)
        self._set_guard(on_nonfinite_loss)


def nonfinite_ranks(loss):
    """The ranks whose ``loss`` is not finite (all ranks take part: one flag
    a rank, summed on the loss's device, read once)."""
    flags = torch.zeros(get_world_size(), device=loss.device)
    flags[get_rank()] = (~torch.isfinite(loss.detach())).any().float()
    if get_world_size() > 1:
        dist.all_reduce(flags)
    return flags.nonzero().flatten().tolist()
