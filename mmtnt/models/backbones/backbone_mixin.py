"""What mmtnt's two backbones (TNT, PyramidTNT) do alike: read ``arch``, load
pretrained weights through mmtnt's checkpoint package, adapt a state dict
before it loads, and keep frozen parts frozen in train mode."""
from mmtnt.checkpoint import init_from_pretrained


class BackboneMixin:
    """Mixed into a backbone with ``arch_zoo``, ``_arch_keys``,
    ``adapt_state_dict(state_dict, prefix)`` and ``_freeze_stages()``."""

    arch_zoo = {}
    _arch_keys = ()

    @classmethod
    def _parse_arch(cls, arch):
        name = cls.__name__
        keys = sorted(cls._arch_keys)
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_zoo:
                raise ValueError(
                    f'{name}: arch {arch!r} is not one of {sorted(cls.arch_zoo)}; pass a dict with {keys} for a custom size.'  # noqa: E501
                )
            return dict(cls.arch_zoo[arch.lower()])
        if not isinstance(arch, dict) or not set(keys) <= set(arch):
            raise ValueError(
                f'{name}: a custom arch must be a dict with keys {keys}, got {arch!r}.'  # noqa: E501
            )
        return dict(arch)

    def _parse_out_indices(self, out_indices, count, unit):
        """``out_indices`` (an int or a sequence, negatives from the end) as
        a list of indices in ``range(count)``."""
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        for i in out_indices:
            if not -count <= i < count:
                raise ValueError(
                    f'{type(self).__name__}: out_indices entry {i} is out of range for {count} {unit}.'  # noqa: E501
                )
        return [i % count for i in out_indices]

    def _init_from_pretrained(self):
        """Load a ``Pretrained`` init_cfg with mmtnt's loader (every known
        format, with or without the ``backbone.`` prefix, refused before any
        weight is written when it does not fit); False if there is none."""
        if init_from_pretrained(self, self.init_cfg):
            self._is_init = True
            return True
        return False

    def _adapt_checkpoint(self, module, state_dict, prefix, *args):
        """Load-state-dict pre-hook: ``adapt_state_dict``."""
        self.adapt_state_dict(state_dict, prefix)

    @staticmethod
    def _freeze(modules, params=()):
        """Eval mode and no gradients for ``modules`` and ``params``."""
        for m in modules:
            m.eval()
            for param in m.parameters():
                param.requires_grad = False
        for p in params:
            if p is not None:
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        return self
