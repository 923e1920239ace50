"""Recognising the released TNT and PyramidTNT checkpoint formats and
converting each to mmtnt names (docs/design.md lists the formats)."""
import re
from collections import OrderedDict

from .errors import CheckpointFormatError

WRAPPER_KEYS = ('state_dict', 'model', 'state_dict_ema', 'module')


def strip_prefix(state_dict, prefix, keep_others=True):
    """``state_dict`` with ``prefix`` removed from the keys that have it; the
    other keys are kept as they are, or dropped with ``keep_others=False``.
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            out[key[len(prefix):]] = value
        elif keep_others:
            out[key] = value
    return out


def unwrap(checkpoint):
    """The state dict inside a checkpoint file's object, without DDP's
    ``module.`` prefix; None when it holds none."""
    state = checkpoint
    if isinstance(checkpoint, dict):
        for key in WRAPPER_KEYS:
            if isinstance(checkpoint.get(key), dict):
                state = checkpoint[key]
                break
    if not isinstance(state, dict):
        return None
    return strip_prefix(state, 'module.')


TNT_FORMATS = ('official', 'timm', 'mmpretrain')


def detect_format(keys):
    """The format name of backbone-level ``keys`` (no prefix): a TNT format of
    :data:`TNT_FORMATS`, ``'pyramid_tnt'`` (PyramidTNT's official names, also
    mmtnt's) or None."""
    keys = list(keys)
    if any(
            re.match(r'(stages\.\d+\.relative_pos|word_merges\.)', k)
            for k in keys):
        return 'pyramid_tnt'
    if any(k == 'outer_pos'
           or re.match(r'blocks\.\d+\.(inner|outer)_attn\.', k) for k in keys):
        return 'official'
    if any(re.match(r'layers\.\d+\.(inner|outer)_block\.', k) for k in keys):
        return 'mmpretrain'
    if any(re.match(r'blocks\.\d+\.attn_out\.', k) for k in keys):
        return 'timm'
    return None


def detect_layout(state_dict):
    """``'official'`` or ``'legacy'`` for a backbone-level state dict in
    timm/mmtnt names; None when no block has an inner transformer (the
    layouts coincide)."""
    inner_blocks = sorted({
        int(m.group(1))
        for k in state_dict
        if (m := re.match(r'blocks\.(\d+)\.norm1_proj\.weight$', k))
    })
    if not inner_blocks:
        return None
    has_norm2 = f'blocks.{inner_blocks[0]}.norm2_proj.weight' in state_dict
    return 'official' if has_norm2 else 'legacy'


def release_format(state_dict):
    """'official', 'timm', 'mmpretrain' or 'pyramid_tnt' for a release's
    state dict; None for mmtnt's own checkpoints (any task) and anything
    else."""
    fmt = detect_format(state_dict)
    if fmt:
        return fmt
    backbone = strip_prefix(state_dict, 'backbone.', keep_others=False)
    return 'mmpretrain' if detect_format(backbone) == 'mmpretrain' else None


_OFFICIAL_RENAMES = [
    ('outer_pos', 'patch_pos'),
    ('inner_pos', 'pixel_pos'),
    ('patch_embed.', 'pixel_embed.'),
    ('proj_norm1', 'norm1_proj'),
    ('proj_norm2', 'norm2_proj'),
    ('inner_norm1', 'norm_in'),
    ('inner_attn', 'attn_in'),
    ('inner_norm2', 'norm_mlp_in'),
    ('inner_mlp', 'mlp_in'),
    ('outer_norm1', 'norm_out'),
    ('outer_attn', 'attn_out'),
    ('outer_norm2', 'norm_mlp'),
    ('outer_mlp', 'mlp'),
]


def convert_official(sd):
    """Official huawei-noah names -> mmtnt; ``inner_pos`` (1, m, c) becomes
    (1, c, s, s)."""
    out = OrderedDict()
    for k, v in sd.items():
        if k == 'outer_tokens':  # an unused parameter of the official model
            continue
        for old, new in _OFFICIAL_RENAMES:
            k = k.replace(old, new)
        if k == 'pixel_pos' and v.dim() == 3:
            s = int(round(v.shape[1]**0.5))
            v = v.permute(0, 2, 1).reshape(v.shape[0], v.shape[2], s, s)
        out[k] = v
    return out


_MMPRETRAIN_BLOCK = {
    'inner_block.norm_attn': 'norm_in',
    'inner_block.norm_ffn': 'norm_mlp_in',
    'inner_block.attn.attn.out_proj': 'attn_in.proj',
    'inner_block.ffn.layers.0.0': 'mlp_in.fc1',
    'inner_block.ffn.layers.1': 'mlp_in.fc2',
    'outer_block.norm_attn': 'norm_out',
    'outer_block.norm_ffn': 'norm_mlp',
    'outer_block.attn.attn.out_proj': 'attn_out.proj',
    'outer_block.ffn.layers.0.0': 'mlp.fc1',
    'outer_block.ffn.layers.1': 'mlp.fc2',
    'norm_proj': 'norm1_proj',
    'projection': 'proj',
}


def convert_mmpretrain(sd):
    """mmpretrain 1.x TNT names -> mmtnt; mmcv's fused ``in_proj`` is split
    into ``qk`` + ``v``."""
    out = OrderedDict()
    for k, v in sd.items():
        m = re.match(r'layers\.(\d+)\.(.+)$', k)
        if m is None:
            out[re.sub(r'^projection\.', 'proj.', k)] = v
            continue
        i, rest = m.groups()
        attn = re.match(
            r'(inner|outer)_block\.attn\.attn\.in_proj_(weight|bias)$', rest)
        if attn is not None:
            side = 'in' if attn.group(1) == 'inner' else 'out'
            base = f'blocks.{i}.attn_{side}'
            split = 2 * v.shape[0] // 3  # rows are [q; k; v]
            out[f'{base}.qk.{attn.group(2)}'] = v[:split]
            out[f'{base}.v.{attn.group(2)}'] = v[split:]
            continue
        name, kind = rest.rsplit('.', 1)
        if name not in _MMPRETRAIN_BLOCK:
            raise CheckpointFormatError(
                f'mmpretrain TNT key {k!r} is not known to mmtnt.')
        out[f'blocks.{i}.{_MMPRETRAIN_BLOCK[name]}.{kind}'] = v
    return out


def to_mmtnt_backbone(sd):
    """Any known backbone-level state dict -> (mmtnt names, source format);
    timm and PyramidTNT names are mmtnt's."""
    fmt = detect_format(sd)
    if fmt == 'official':
        return convert_official(sd), fmt
    if fmt == 'mmpretrain':
        return convert_mmpretrain(sd), fmt
    return OrderedDict(sd), fmt


def convert_checkpoint(checkpoint):
    """A whole checkpoint of any known format -> an mmtnt ImageClassifier
    state dict.

    Returns:
        tuple: (state_dict, source format, layout).

    Raises:
        CheckpointFormatError: The object is not a TNT checkpoint.
    """
    sd = unwrap(checkpoint)
    if not sd:
        raise CheckpointFormatError(
            "the file holds no state dict (expected a dict of tensors, or one under 'state_dict', 'model' or 'state_dict_ema')."  # noqa: E501
        )
    classifier = any(k.startswith('backbone.') for k in sd)
    if classifier:  # mmpretrain / mmtnt classifier
        backbone = strip_prefix(sd, 'backbone.', keep_others=False)
        head = OrderedDict(
            (k, v) for k, v in sd.items() if k.startswith('head.'))
    else:  # official / timm: backbone and 'head.weight' at top level
        backbone = OrderedDict(
            (k, v) for k, v in sd.items() if not k.startswith('head.'))
        head = OrderedDict(
            ('head.fc.' + k, v)
            for k, v in strip_prefix(sd, 'head.', keep_others=False).items())
    converted, fmt = to_mmtnt_backbone(backbone)
    if fmt is None:
        raise CheckpointFormatError(
            f'no TNT weights found: expected official (outer_pos, blocks.N.inner_attn), timm/mmtnt (patch_pos, blocks.N.attn_out), mmpretrain (layers.N.inner_block) or PyramidTNT (stages.N.relative_pos) keys; first keys are {list(sd)[:5]}.'  # noqa: E501
        )
    if fmt in ('timm', 'pyramid_tnt') and classifier:
        fmt = 'mmtnt'
    out = OrderedDict(('backbone.' + k, v) for k, v in converted.items())
    out.update(head)
    return out, fmt, detect_layout(converted)
