"""GuardedOptimWrapper in-process on a model's loss: a NaN loss stops before
the weights change, naming the iteration and the loss, or its step is skipped
and counted; finite steps update as before; --amp's wrapper guards too."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from mmtnt.engine import (GuardedOptimWrapper, MixedPrecisionOptimWrapper,
                          NonFiniteLossError)


class Scale(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, x, mode='loss'):
        return {'loss_a': (self.w * x).sum(), 'loss_b': self.w.sum() * 0 + 1}


def guarded(on_nonfinite_loss, wrapper=GuardedOptimWrapper, **kwargs):
    model = Scale()
    MessageHub.get_current_instance().update_info('iter', 6)  # the 7th
    optim = wrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        on_nonfinite_loss=on_nonfinite_loss,
        **kwargs)
    return model, optim


def step(model, optim, x):
    loss, _ = model.parse_losses(model(torch.tensor([x])))
    optim.update_params(loss)


def test_finite_loss_steps_as_before():
    model, optim = guarded('stop')
    step(model, optim, 2.)  # d(loss)/dw = 2 + 0
    assert model.w.item() == pytest.approx(1 - 0.1 * 2)


@pytest.mark.parametrize('wrapper, kwargs', [
    (GuardedOptimWrapper, {}),
    (MixedPrecisionOptimWrapper, dict(dtype='bfloat16')),
])
def test_nan_loss_stops_before_the_weights_change(wrapper, kwargs):
    model, optim = guarded('stop', wrapper, **kwargs)
    with pytest.raises(
            NonFiniteLossError,
            match=r"^iteration 7: the loss is not finite \(loss=nan\);.*"
            r"on_nonfinite_loss='skip'"):
        step(model, optim, float('nan'))
    assert model.w.item() == 1.


def test_skipped_steps_are_counted_and_drop_their_gradients(tmp_path):
    from mmengine.logging import MMLogger
    log = tmp_path / 'run.log'
    logger = MMLogger.get_instance('non_finite_skip', log_file=str(log))
    model, optim = guarded('skip')
    try:
        step(model, optim, float('inf'))
        step(model, optim, float('nan'))
    finally:  # the next test's current logger is not this one
        MMLogger._instance_dict.pop('non_finite_skip')
        for handler in logger.handlers:
            handler.close()
    assert optim.skipped == 2 and model.w.item() == 1.
    text = log.read_text()
    assert ('iteration 7: skipped a step with a non-finite loss (loss=inf); '
            '1 skipped so far') in text
    assert '2 skipped so far' in text
    assert model.w.grad is None or not model.w.grad.any()
    step(model, optim, 1.)  # the next finite step sees only its gradient
    assert model.w.item() == pytest.approx(1 - 0.1 * 1)


def test_an_unknown_choice_is_refused():
    with pytest.raises(ValueError, match="on_nonfinite_loss='skipp'"):
        guarded('skipp')
