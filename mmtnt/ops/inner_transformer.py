"""The fused inner transformer of TNT on the CPU (C++ in
``csrc/inner_transformer.cpp``): words -> LN, attention, LN, MLP (both
residual, with optional per-sentence drop-path scales) -> the new words and a
third LayerNorm of them, over the whole sentence or per word.

The extension is compiled on first use with the C++ compiler that built mmcv
(and ninja) and cached in ``~/.cache/mmtnt/ops`` (``MMTNT_OPS_DIR`` moves it);
``tools/setup_env.sh`` builds it ahead. Where it cannot be built, callers run
their eager modules and a warning says so once. Call::

    from mmtnt.ops import (InnerWeights, fused_inner_available,
                           fused_inner_transformer)
    if fused_inner_available():
        words, normed = fused_inner_transformer(
            words, InnerWeights(...), heads=4,
            norm_whole_sentence=True)

The adapter from a TNT block's modules is
:func:`mmtnt.models.backbones.tnt_fused_inner.fused_inner_forward`.
"""
import hashlib
import importlib.util
import logging
import os
import os.path as osp
import platform
import threading
import warnings
from typing import List, NamedTuple, Optional, Tuple

import torch
from torch import Tensor

_SOURCE = osp.join(
    osp.dirname(osp.abspath(__file__)), 'csrc', 'inner_transformer.cpp')
_lock = threading.Lock()
_state = {}  # 'module' or 'error', once tried


def _compile_flags():
    """Flags for this CPU; the cache key includes them."""
    flags = ['-O3', '-fopenmp', '-ffp-contract=fast']
    if platform.machine() in ('x86_64', 'AMD64'):
        cap = torch.backends.cpu.get_cpu_capability()
        flags += {
            'AVX512': ['-march=x86-64-v4', '-mprefer-vector-width=512'],
            'AVX2': ['-march=x86-64-v3'],
        }.get(cap, [])
    return flags


def _build_dir(flags):
    with open(_SOURCE, 'rb') as f:
        key = hashlib.sha256(f.read() + ' '.join(flags).encode() +
                             torch.__version__.encode()).hexdigest()[:12]
    root = os.environ.get('MMTNT_OPS_DIR') or osp.join(
        osp.expanduser('~'), '.cache', 'mmtnt', 'ops')
    return f'mmtnt_inner_{key}', osp.join(root, f'inner_transformer-{key}')


def load_extension(verbose=False):
    """Load the extension built for this source, CPU and torch, compiling it
    first if it is not in the cache; raise if that fails."""
    flags = _compile_flags()
    name, build_dir = _build_dir(flags)
    library = osp.join(build_dir, name + '.so')
    built = osp.join(build_dir, 'BUILT')  # written once the library is whole
    if not osp.exists(built):
        # torch.utils.cpp_extension logs a warning about CUDA at import on a
        # machine without it; this build is CPU-only, so hold it back.
        log = logging.getLogger('torch.utils.cpp_extension')
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            from torch.utils.cpp_extension import load
        finally:
            log.setLevel(level)
        os.makedirs(build_dir, exist_ok=True)
        # load() holds a lock in build_dir: concurrent first uses build once.
        module = load(
            name, [_SOURCE],
            extra_cflags=flags,
            extra_ldflags=['-fopenmp'],
            build_directory=build_dir,
            verbose=verbose)
        open(built, 'w').close()
        return module
    spec = importlib.util.spec_from_file_location(name, library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@torch.compiler.assume_constant_result
def fused_inner_available():
    """Whether the fused kernel can run here (builds it on the first call).

    A failed build is reported once as a warning, with the reason, and the
    eager path is used from then on.
    """
    if not _state:
        with _lock:
            if not _state:
                try:
                    _state['module'] = load_extension()
                except Exception as err:  # no compiler, no ninja, ...
                    _state['error'] = f'{type(err).__name__}: {err}'
                    warnings.warn(
                        f'mmtnt: the fused inner transformer could not be built ({_state["error"].splitlines()[0]}); TNT runs its eager inner transformer instead. Install a C++ compiler and `pip install ninja` to use it.',  # noqa: E501
                        stacklevel=2)
    return 'module' in _state


def unavailable_reason():
    """Why the extension did not build (None if it did or was not tried)."""
    return _state.get('error')


class InnerWeights(NamedTuple):
    """The kernel's weights (nn.Linear's (out, in) layout): LayerNorm 1,
    attention (q, k, v stacked; bias optional), LayerNorm 2, MLP, LayerNorm 3
    (of ``m*c`` or ``c`` values, see ``norm_whole_sentence``)."""
    norm1_weight: Tensor
    norm1_bias: Tensor
    qkv_weight: Tensor
    qkv_bias: Optional[Tensor]
    proj_weight: Tensor
    proj_bias: Tensor
    norm2_weight: Tensor
    norm2_bias: Tensor
    fc1_weight: Tensor
    fc1_bias: Tensor
    fc2_weight: Tensor
    fc2_bias: Tensor
    norm3_weight: Tensor
    norm3_bias: Tensor


QKV_BIAS = InnerWeights._fields.index('qkv_bias')
NUM_TENSORS = 1 + len(InnerWeights._fields)  # the words, then the weights


# The kernel as torch custom ops: autograd, and torch.compile treats them as
# opaque calls (compiling the rest of the model around them).
@torch.library.custom_op('mmtnt::inner_transformer', mutates_args=())
def _inner_transformer(words: Tensor, ln1_w: Tensor, ln1_b: Tensor,
                       qkv_w: Tensor, qkv_b: Optional[Tensor], proj_w: Tensor,
                       proj_b: Tensor, ln2_w: Tensor, ln2_b: Tensor,
                       fc1_w: Tensor, fc1_b: Tensor, fc2_w: Tensor,
                       fc2_b: Tensor, ln3_w: Tensor, ln3_b: Tensor, heads: int,
                       norm_whole_sentence: bool, eps1: float, eps2: float,
                       eps3: float, keep_attn: Optional[Tensor],
                       keep_mlp: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    words, normed = _state['module'].inner_transformer_forward(
        words, ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc1_w,
        fc1_b, fc2_w, fc2_b, ln3_w, ln3_b, heads, norm_whole_sentence, eps1,
        eps2, eps3, keep_attn, keep_mlp)
    return words, normed


@_inner_transformer.register_fake
def _(words, *args):
    return torch.empty_like(words), words.new_empty(words.shape[0],
                                                    words[0].numel())


@torch.library.custom_op('mmtnt::inner_transformer_backward', mutates_args=())
def _inner_transformer_backward(words: Tensor, grad_words: Tensor,
                                grad_normed: Tensor, weights: List[Tensor],
                                qkv_b: Optional[Tensor], heads: int,
                                norm_whole_sentence: bool, eps1: float,
                                eps2: float, eps3: float,
                                keep_attn: Optional[Tensor],
                                keep_mlp: Optional[Tensor]) -> List[Tensor]:
    """Gradients of the words and of every weight (qkv bias: empty if
    none); ``weights`` are :class:`InnerWeights` without the qkv bias."""
    weights = list(weights)
    weights.insert(QKV_BIAS, qkv_b)
    grads = _state['module'].inner_transformer_backward(
        words, grad_words, grad_normed, *weights, heads, norm_whole_sentence,
        eps1, eps2, eps3, keep_attn, keep_mlp)
    if grads[1 + QKV_BIAS] is None:
        grads[1 + QKV_BIAS] = words.new_empty(0)
    return grads


@_inner_transformer_backward.register_fake
def _(words, grad_words, grad_normed, weights, qkv_b, *args):
    tensors = list(weights)
    tensors.insert(QKV_BIAS,
                   qkv_b if qkv_b is not None else words.new_empty(0))
    return [torch.empty_like(t) for t in (words, *tensors)]


def _setup_context(ctx, inputs, output):
    words, *weights = inputs[:NUM_TENSORS]
    ctx.config = inputs[NUM_TENSORS:]
    ctx.has_qkv_bias = weights[QKV_BIAS] is not None
    ctx.save_for_backward(words, *(w for w in weights if w is not None))


def _backward(ctx, grad_words, grad_normed):
    words, *weights = ctx.saved_tensors
    qkv_b = weights.pop(QKV_BIAS) if ctx.has_qkv_bias else None
    if grad_words is None:
        grad_words = torch.zeros_like(words)
    if grad_normed is None:
        grad_normed = words.new_zeros(words.shape[0], words[0].numel())
    grads = _inner_transformer_backward(words, grad_words.contiguous(),
                                        grad_normed.contiguous(), weights,
                                        qkv_b, *ctx.config)
    if not ctx.has_qkv_bias:
        grads[1 + QKV_BIAS] = None
    return (*grads, *(None for _ in ctx.config))


_inner_transformer.register_autograd(_backward, setup_context=_setup_context)


def fused_inner_transformer(words,
                            weights,
                            *,
                            heads,
                            norm_whole_sentence,
                            eps=(1e-5, 1e-5, 1e-5),
                            keep_attn=None,
                            keep_mlp=None):
    """The fused inner transformer on ``words`` (S, m, c), with autograd.

    Args:
        words (Tensor): (S, m, c) float32 CPU words of S sentences.
        weights (InnerWeights): The weights by name.
        heads (int): Attention heads.
        norm_whole_sentence (bool): The third LayerNorm spans all m*c values
            of a sentence (else each word's c).
        eps (tuple[float]): Epsilons of the three LayerNorms.
        keep_attn (Tensor, optional): (S,) scales of the attention branch
            (drop path); None keeps every sentence.
        keep_mlp (Tensor, optional): (S,) scales of the MLP branch.

    Returns:
        tuple[Tensor, Tensor]: The new words (S, m, c) and the third
        LayerNorm of them as (S, m*c). Where a gradient is recorded, the
        backward recomputes the inner transformer instead of storing its
        activations.
    """
    if not fused_inner_available():
        raise RuntimeError(
            f'mmtnt.ops: the fused inner transformer did not build here ({unavailable_reason()}).'  # noqa: E501
        )
    return _inner_transformer(words.contiguous(), *weights, heads,
                              norm_whole_sentence, *eps, keep_attn, keep_mlp)
