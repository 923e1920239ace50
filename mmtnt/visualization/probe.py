"""Read a TNT backbone's attention and tokens block by block (for the paper's
figures).
"""
from functools import partial

import torch


class TNTProbe:
    """Forward hooks on every TNT block that keep what the figures need.

    Attention weights are recomputed from each attention's input with
    :meth:`~mmtnt.models.layers.Attention.attention_weights` (the forward runs
    fused kernels that never form them). Only what is asked for is kept: outer
    attention at 1024x1024 is 4096 x 4096 per head and block.

    Args:
        backbone (TNT): The backbone to probe.
        inner (bool): Keep inner attention ``(B*N, heads, m, m)`` per block.
        outer (bool): Keep outer attention ``(B, heads, 1+N, 1+N)`` per block.
        tokens (bool): Keep each block's output words ``(B*N, m, c)`` and
            sentences ``(B, 1+N, D)``.

    Example:
        >>> with TNTProbe(backbone, outer=True) as probe:
        ...     probe.run(images)
        >>> probe.outer_attn[11].shape
    """

    def __init__(self, backbone, inner=False, outer=False, tokens=False):
        self.backbone = backbone
        self.keep = dict(inner=inner, outer=outer, tokens=tokens)
        self.inner_attn, self.outer_attn = {}, {}
        self.words, self.sentences = {}, {}
        self.grid = None
        self._handles = []

    def __enter__(self):
        for i, block in enumerate(self.backbone.blocks):
            if self.keep['inner'] and block.has_inner:
                # On the block, not on attn_in: the fused inner transformer
                # (mmtnt.ops) does not call the inner modules.
                self._handles.append(
                    block.register_forward_pre_hook(
                        partial(self._keep_inner_attention, i)))
            if self.keep['outer']:
                self._handles.append(
                    block.attn_out.register_forward_pre_hook(
                        partial(self._keep_attention, self.outer_attn, i)))
            if self.keep['tokens']:
                self._handles.append(
                    block.register_forward_hook(partial(self._keep_tokens, i)))
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()
        self._handles = []

    @staticmethod
    def _keep_attention(store, index, module, args):
        store[index] = module.attention_weights(args[0]).detach().float().cpu()

    def _keep_inner_attention(self, index, block, args):
        words = block.norm_in(args[0])
        self.inner_attn[index] = block.attn_in.attention_weights(
            words).detach().float().cpu()

    def _keep_tokens(self, index, module, args, output):
        inner, outer = output
        self.words[index] = inner.detach().float().cpu()
        self.sentences[index] = outer.detach().float().cpu()

    @torch.no_grad()
    def run(self, images):
        """Run the backbone on normalised ``images`` (B, 3, H, W); return
        ``self``.
        """
        p = self.backbone.patch_size
        self.grid = (images.shape[-2] // p, images.shape[-1] // p)
        self.backbone.eval()(images)
        return self
