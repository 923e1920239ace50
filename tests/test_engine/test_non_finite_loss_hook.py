"""NonFiniteLossHook in-process on a runner's model and optimizer wrapper: a
NaN loss stops before the weights change, naming the iteration and every
term, or its step is skipped and counted; finite steps update as before."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from mmtnt.engine.non_finite_loss import NonFiniteLossError, NonFiniteLossHook


class Scale(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, x, mode='loss'):
        return {'loss_a': (self.w * x).sum(), 'loss_b': self.w.sum() * 0 + 1}


def hooked(skip):
    model = Scale()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    runner = SimpleNamespace(
        model=SimpleNamespace(module=model),
        optim_wrapper=wrapper,
        iter=6,
        work_dir='/work/run')
    hook = NonFiniteLossHook(skip=skip)
    hook.before_train(runner)
    return model, wrapper, hook


def step(model, wrapper, x):
    loss, _ = model.parse_losses(model(torch.tensor([x])))
    wrapper.update_params(loss)


def test_finite_loss_steps_as_before():
    model, wrapper, hook = hooked(skip=False)
    step(model, wrapper, 2.)  # d(loss)/dw = 2 + 0
    assert model.w.item() == pytest.approx(1 - 0.1 * 2)
    assert {
        k: float(v)
        for k, v in hook.terms.items()
    } == {
        'loss_a': 2.,
        'loss_b': 1.,
        'loss': 3.
    }


def test_nan_loss_stops_before_the_weights_change():
    model, wrapper, hook = hooked(skip=False)
    with pytest.raises(NonFiniteLossError) as err:
        step(model, wrapper, float('nan'))
    assert str(err.value) == (
        'iteration 7: the loss is not finite (loss=nan, loss_a=nan, loss_b=1)'
        '; training stopped before the weights changed, the last checkpoint '
        'in /work/run is intact. Lower the lr, or skip such steps with '
        'default_hooks.non_finite_loss.skip=True.')
    assert model.w.item() == 1.


def test_skipped_steps_are_counted_and_drop_their_gradients(tmp_path):
    from mmengine.logging import MMLogger
    log = tmp_path / 'run.log'
    logger = MMLogger.get_instance('non_finite_skip', log_file=str(log))
    model, wrapper, hook = hooked(skip=True)
    try:
        step(model, wrapper, float('inf'))
        step(model, wrapper, float('nan'))
    finally:  # the next test's current logger is not this one
        MMLogger._instance_dict.pop('non_finite_skip')
        for handler in logger.handlers:
            handler.close()
    assert hook.skipped == 2 and model.w.item() == 1.
    text = log.read_text()
    assert ('iteration 7: skipped a step with a non-finite loss (loss=inf, '
            'loss_a=inf, loss_b=1); 1 skipped so far') in text
    assert '2 skipped so far' in text
    assert model.w.grad is None or not model.w.grad.any()
    step(model, wrapper, 1.)  # the next finite step sees only its gradient
    assert model.w.item() == pytest.approx(1 - 0.1 * 1)
