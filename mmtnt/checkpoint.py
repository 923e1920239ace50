"""Reading TNT checkpoints safely and converting every released format to mmtnt
names.

Formats: official (huawei-noah), timm, mmtnt and mmpretrain; layouts: official
    and legacy.
docs/design.md describes how each is recognised.
"""
import argparse
import contextlib
import os
import os.path as osp
import pickle
import re
import urllib.error
from collections import OrderedDict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log

from mmtnt.fileio import AtomicLocalBackend, one_writer, save_atomic

CONVERTER = 'tools/model_converters/tnt_to_mmtnt.py'
TRUST_VARIABLE = 'MMTNT_TRUST_CHECKPOINTS'
TORCH_NO_WEIGHTS_ONLY = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


class CheckpointFormatError(ValueError):
    """A checkpoint that is not TNT, or whose layout does not match the model.
    """


class CheckpointDownloadError(RuntimeError):
    """A checkpoint URL that could not be fetched."""


# ---------------------------------------------------------------- reading
# files safely
def _safe_globals():
    """What real checkpoints pickle besides tensors: the official releases'
    ``args``, mmengine's message hub (history buffers of numpy values) and
    numpy scalars and arrays."""
    numpy_core = getattr(np, '_core', None) or np.core
    types = [
        argparse.Namespace, HistoryBuffer, np.ndarray, np.dtype,
        numpy_core.multiarray.scalar, numpy_core.multiarray._reconstruct
    ]
    types += [
        type(np.dtype(t)) for t in ('float16', 'float32', 'float64', 'int32',
                                    'int64', 'uint8', 'bool')
    ]
    return types + [(_history_buffer_method, 'builtins.getattr')]


def _history_buffer_method(obj, name):
    """The one ``getattr`` real checkpoints pickle: a HistoryBuffer statistics
    method.
    """
    if obj is HistoryBuffer and name in vars(HistoryBuffer) and callable(
            vars(HistoryBuffer)[name]):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL getattr({obj!r}, {name!r}) is not allowed')


def read_checkpoint(filename, map_location='cpu'):
    """Read a checkpoint file or URL without running code from it.

    Args:
        filename (str): A path, or an ``http(s)://`` URL (downloaded once into
            torch's hub cache, with a progress bar).
        map_location (str): Passed to :func:`torch.load`.

    Returns:
        The unpickled object. Only tensors and the types of real checkpoints
        are accepted; set the environment variable
        ``MMTNT_TRUST_CHECKPOINTS=1`` to read any pickle.

    Raises:
        CheckpointFormatError: The file needs another type (named in the
            message).
        CheckpointDownloadError: The URL could not be fetched.
    """
    if filename.startswith(('http://', 'https://')):
        filename = _download(filename)
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist.')
    if os.environ.get(TRUST_VARIABLE) == '1':
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        what = refused_type(err)
        if what is None:
            first = str(err).strip().splitlines()[0] if str(
                err).strip() else type(err).__name__
            raise CheckpointFormatError(
                f'{filename} could not be read as a checkpoint '
                f'({first}).') from None
        raise CheckpointFormatError(
            f'{filename}: refused to load: it needs {what}, which no real '
            'checkpoint holds '
            '(unpickling it could run code). If you trust this file, set '
            f'{TRUST_VARIABLE}=1.') from None


@contextlib.contextmanager
def checkpoint_types_allowed():
    """Within the block, ``torch.load`` (e.g. mmengine's
    ``load_from``/``--resume``) accepts the types real checkpoints hold besides
    tensors, still refusing any other; with ``MMTNT_TRUST_CHECKPOINTS=1`` it
    reads any pickle."""
    trusted = os.environ.get(TRUST_VARIABLE) == '1'
    saved = os.environ.get(TORCH_NO_WEIGHTS_ONLY)
    if trusted:
        os.environ[TORCH_NO_WEIGHTS_ONLY] = '1'
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            yield
    finally:
        if trusted:
            if saved is None:
                os.environ.pop(TORCH_NO_WEIGHTS_ONLY, None)
            else:
                os.environ[TORCH_NO_WEIGHTS_ONLY] = saved


def refused_type(err):
    """The type named in torch's ``weights_only`` refusal, or None."""
    found = re.search(r'GLOBAL (\S+)', str(err))
    return found.group(1) if found else None


def _download(url):
    """Fetch ``url`` into torch's hub cache (once) and return the local path.
    """
    folder = osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(folder, osp.basename(url.split('?')[0]))
    if osp.isfile(path):
        return path
    with one_writer(path):  # every rank asks; the first downloads
        if osp.isfile(path):
            return path
        try:
            torch.hub.download_url_to_file(url, path, progress=True)
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, 'reason', err)
            raise CheckpointDownloadError(
                f'could not download {url} ({reason}). Download it where '
                'there is network access and pass the local file instead '
                '(e.g. pretrained="/path/to/file.pth").') from None
    return path


# ---------------------------------------------------------------- detection
def unwrap(checkpoint):
    """The state dict inside a checkpoint file's object."""
    if isinstance(checkpoint, dict):
        for key in ('state_dict', 'model', 'state_dict_ema', 'module'):
            if key in checkpoint and isinstance(checkpoint[key], dict):
                return checkpoint[key]
    return checkpoint


def detect_format(keys):
    """Return the format name of backbone-level ``keys`` (no prefix), or None.
    """
    keys = list(keys)
    if any(k == 'outer_pos' or '.inner_attn.' in k or '.outer_attn.' in k
           for k in keys):
        return 'official'
    if any(re.match(r'layers\.\d+\.(inner|outer)_block\.', k) for k in keys):
        return 'mmpretrain'
    if any(re.match(r'blocks\.\d+\.attn_out\.', k) for k in keys):
        return 'timm'
    return None


def detect_layout(state_dict):
    """``'official'`` or ``'legacy'`` for a backbone-level state dict in
    timm/mmtnt names.
    """
    inner_blocks = sorted({
        int(m.group(1))
        for k in state_dict
        if (m := re.match(r'blocks\.(\d+)\.norm1_proj\.weight$', k))
    })
    if not inner_blocks:
        return None  # no block with an inner transformer: the layouts coincide
    first = inner_blocks[0]
    has_norm2 = f'blocks.{first}.norm2_proj.weight' in state_dict
    return 'official' if has_norm2 else 'legacy'


# ---------------------------------------------------------------- conversion
# to mmtnt names
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
    """Official huawei-noah names -> mmtnt; ``inner_pos`` (1, m, c) becomes (1,
    c, s, s).
    """
    out = OrderedDict()
    for k, v in sd.items():
        # an unused buffer-like parameter in the official model
        if k == 'outer_tokens':
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
    into ``qk`` + ``v``.
    """
    out = OrderedDict()
    for k, v in sd.items():
        m = re.match(r'layers\.(\d+)\.(.+)$', k)
        if m is None:
            out['proj.' + k[len('projection.'):] if k.startswith('projection.'
                                                                 ) else k] = v
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
    """Any known backbone-level state dict -> (mmtnt names, source format)."""
    fmt = detect_format(sd)
    if fmt == 'official':
        return convert_official(sd), fmt
    if fmt == 'mmpretrain':
        return convert_mmpretrain(sd), fmt
    return OrderedDict(sd), fmt


def convert_checkpoint(checkpoint):
    """A whole checkpoint of any known format -> an mmtnt ImageClassifier state
    dict.

    Returns (state_dict, source format, layout). Raises
    :class:`CheckpointFormatError` on anything that is not a TNT checkpoint.
    """
    sd = unwrap(checkpoint)
    if not isinstance(sd, dict) or not sd:
        raise CheckpointFormatError(
            'the file holds no state dict (expected a dict of tensors, '
            "or one under 'state_dict', 'model' or 'state_dict_ema').")
    sd = OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                     for k, v in sd.items())
    if any(k.startswith('backbone.')
           for k in sd):  # mmpretrain / mmtnt classifier
        backbone = OrderedDict((k[len('backbone.'):], v)
                               for k, v in sd.items()
                               if k.startswith('backbone.'))
        head = OrderedDict(
            (k, v) for k, v in sd.items() if k.startswith('head.'))
    else:  # official / timm: backbone and 'head.weight' at top level
        backbone = OrderedDict(
            (k, v) for k, v in sd.items() if not k.startswith('head.'))
        head = OrderedDict(('head.fc.' + k[len('head.'):], v)
                           for k, v in sd.items() if k.startswith('head.'))
    converted, fmt = to_mmtnt_backbone(backbone)
    if fmt is None:
        raise CheckpointFormatError(
            'no TNT weights found: expected official (outer_pos, '
            'blocks.N.inner_attn), timm/mmtnt '
            '(patch_pos, blocks.N.attn_out) or mmpretrain '
            '(layers.N.inner_block) keys; first keys '
            f'are {list(sd)[:5]}.')
    if fmt == 'timm' and any(k.startswith('backbone.') for k in sd):
        fmt = 'mmtnt'
    out = OrderedDict(('backbone.' + k, v) for k, v in converted.items())
    out.update(head)
    return out, fmt, detect_layout(converted)


# ---------------------------------------------------------------- loading into
# a model
def _check_layout(found, built, fmt):
    if found is not None and found != built:
        raise CheckpointFormatError(
            f'the checkpoint has the {found!r} TNT layout ({fmt} format) but '
            'the model was built '
            f"with layout={built!r}. Build the backbone with layout='{found}' "
            "(e.g. "
            "configs/tnt/tnt-s-legacy_16xb64_in1k.py for mmpretrain's "
            "released TNT-S); weights "
            f'of one layout cannot be converted to the other ({CONVERTER} '
            'converts formats, '
            'not layouts).')


def adapt_state_dict(model, state_dict, prefix):
    """Make the ``prefix`` part of ``state_dict`` fit ``model`` (a TNT
    backbone), in place.

    Converts official and mmpretrain names, refuses a layout the model was not
    built with, any missing backbone weight and any weight of another shape
    (another arch), and resizes the sentence position encoding to the model's
    grid. mmengine loads non-strictly and only warns about shapes, which would
    otherwise leave a wrong checkpoint half-loaded.
    """
    own = [k for k in state_dict if k.startswith(prefix)]
    if not own:
        return
    local = OrderedDict((k[len(prefix):], state_dict[k]) for k in own)
    converted, fmt = to_mmtnt_backbone(local)
    if fmt is None:
        # e.g. a partial dict of our own names; torch reports what does not
        # match
        return
    _check_layout(detect_layout(converted), model.layout, fmt)
    expected = set(model.state_dict())
    missing = sorted(expected - set(converted))
    if missing:
        raise CheckpointFormatError(
            f'the {fmt} checkpoint lacks {len(missing)} TNT weights the model '
            'needs, e.g. '
            f'{missing[:4]}. Check '
            'arch/inner_block_indices/with_se/with_*_pos against the '
            f'checkpoint, or convert it with {CONVERTER}.')
    own_state = model.state_dict()
    wrong = [
        f'{k} {tuple(v.shape)} vs {tuple(own_state[k].shape)}'
        for k, v in converted.items() if k in own_state and k != 'patch_pos'
        and hasattr(v, 'shape') and v.shape != own_state[k].shape
    ]
    if wrong:
        width = converted['cls_token'].shape[-1]  # present: none is missing
        raise CheckpointFormatError(
            f'the {fmt} checkpoint is another TNT size: its sentence width is '
            f'{width}, the model\'s {model.embed_dims}; {len(wrong)} weights '
            f'differ in shape (file vs model), e.g. {wrong[:2]}. Build the '
            'arch the checkpoint was trained with (Ti 192, S 384, B 640).')
    pos = converted.get('patch_pos')
    own_pos = model.patch_pos
    if pos is not None and own_pos is not None and pos.shape != own_pos.shape:
        # Imported here: mmpretrain.models pulls in its whole model zoo (and
        # mmdet's): 2-3 s that `import mmtnt` and --help need not pay.
        from mmpretrain.models.utils import resize_pos_embed
        n = pos.shape[1] - 1
        side = int(round(n**0.5))
        if side * side != n:
            raise CheckpointFormatError(
                f'patch_pos of shape {tuple(pos.shape)} is not a square grid; '
                'set img_size to '
                'the size the checkpoint was trained at.')
        converted['patch_pos'] = resize_pos_embed(pos, (side, side),
                                                  model.grid_size,
                                                  model.interpolate_mode, 1)
    for k in own:
        del state_dict[k]
    for k, v in converted.items():
        state_dict[prefix + k] = v


def load_tnt_checkpoint(path, map_location='cpu'):
    """Read ``path`` and return (mmtnt classifier state dict, source format,
    layout).
    """
    return convert_checkpoint(read_checkpoint(path, map_location))


def load_checkpoint(model, filename, map_location='cpu'):
    """Load a whole-model checkpoint into ``model``; every weight must fit.

    A TNT release in any format (official, timm, mmpretrain) is converted to
    classifier keys first; other checkpoints (mmtnt's own, detectors,
    segmentors) load as they are.

    Args:
        model (nn.Module): The model, e.g. from :func:`mmtnt.apis.get_model`.
        filename (str): Path or URL.
        map_location (str): Passed to :func:`torch.load`.

    Returns:
        dict: The checkpoint as read (its ``meta`` holds e.g.
            ``dataset_meta``).

    Raises:
        CheckpointFormatError: Weights of the model are missing from the file,
            or the file holds weights the model has no place for; the message
            names both.
    """
    checkpoint = read_checkpoint(filename, map_location)
    state = unwrap(checkpoint)
    if not isinstance(state, dict):
        raise CheckpointFormatError(
            f'{filename}: the file holds no state dict.')
    state = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items())
    if not any(k.startswith('backbone.')
               for k in state) and detect_format(state):
        state = convert_checkpoint(state)[
            0]  # a bare TNT release: backbone + head.*
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except CheckpointFormatError as err:
        raise CheckpointFormatError(f'{filename}: {err}') from None
    except RuntimeError as err:  # shapes that do not fit
        lines = [
            line.strip() for line in str(err).splitlines()
            if 'size mismatch' in line
        ]
        raise CheckpointFormatError(
            f'{filename}: {len(lines)} weights have other shapes than '
            f'the model\'s, e.g. {lines[:2]}.') from None
    if missing or unexpected:
        raise CheckpointFormatError(
            f'{filename} does not fit the model: {len(missing)} of its '
            'weights are not in the '
            f'file (e.g. {missing[:3]}) and {len(unexpected)} in the file fit '
            'nothing (e.g. '
            f'{unexpected[:3]}). Check that the config matches the checkpoint.'
        )
    return checkpoint if isinstance(checkpoint, dict) else {}


def _release_format(state):
    """'official', 'timm' or 'mmpretrain' for a TNT release's state dict; None
    for mmtnt's own checkpoints (any task) and anything else."""
    fmt = detect_format(state)
    if fmt:
        return fmt
    backbone = [
        k[len('backbone.'):] for k in state if k.startswith('backbone.')
    ]
    return 'mmpretrain' if detect_format(backbone) == 'mmpretrain' else None


def convert_release(filename, out_dir):
    """A TNT release (official, timm, mmpretrain) as an mmtnt checkpoint file
    in ``out_dir``; any other checkpoint's path is returned as it is.

    Returns:
        tuple[str, str | None]: The path to load and the release format (None
        if not one).
    """
    checkpoint = read_checkpoint(filename)
    state = unwrap(checkpoint)
    if not isinstance(state, dict):
        raise CheckpointFormatError(
            f'{filename}: the file holds no state dict.')
    fmt = _release_format(
        OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                    for k, v in state.items()))
    if fmt is None:
        return filename, None
    path = osp.join(out_dir, f'{osp.basename(filename)}.mmtnt.pth')
    # Every rank converts the same file: the first writes it (atomically),
    # the others wait and reuse it while the source is unchanged.
    source = source_stamp(filename)
    with one_writer(path):
        if osp.isfile(path) and _read_text(path + '.source') == source:
            return path, fmt
        converted, fmt, layout = convert_checkpoint(checkpoint)
        save_atomic(
            {
                'state_dict': converted,
                'meta': dict(
                    source=filename, source_format=fmt, layout=layout)
            }, path)
        AtomicLocalBackend().put_text(source, path + '.source')
        print_log(f'converted {filename} ({fmt}) to {path}', logger='current')
    return path, fmt


def source_stamp(filename):
    """Path, size and modification time of a file: what the converted copy of
    it was made from."""
    stat = os.stat(filename)
    return f'{osp.abspath(filename)} {stat.st_size} {stat.st_mtime_ns}\n'


def _read_text(filename):
    try:
        with open(filename) as f:
            return f.read()
    except OSError:
        return None


def check_fits(model, filename, head_may_differ=False):
    """Raise :class:`CheckpointFormatError` unless ``filename`` sets every
    weight of ``model`` with the right shape (the sentence position grid may
    differ: it is resized on load).

    ``head_may_differ``: a classifier head of another class count (fine-tuning)
    is accepted.
    """
    checkpoint = read_checkpoint(filename)
    state = unwrap(checkpoint)
    state = {
        k[len('module.'):] if k.startswith('module.') else k: v
        for k, v in state.items()
    }
    layout = getattr(getattr(model, 'backbone', None), 'layout', None)
    if layout is not None:
        backbone = {
            k[len('backbone.'):]: v
            for k, v in state.items() if k.startswith('backbone.')
        }
        meta = checkpoint.get('meta', {}) if isinstance(checkpoint,
                                                        dict) else {}
        _check_layout(
            detect_layout(backbone), layout, meta.get('source_format',
                                                      'mmtnt'))
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in own
        if k in state and hasattr(state[k], 'shape')
        and state[k].shape != own[k].shape and not k.endswith('patch_pos')
        and not (head_may_differ and k.startswith('head.'))
    ]
    if missing or unexpected or shapes:
        raise CheckpointFormatError(
            f'{filename} does not fit the model: {len(missing)} weights '
            'missing (e.g. '
            f'{missing[:3]}), {len(unexpected)} unexpected (e.g. '
            f'{unexpected[:3]}), '
            f'{len(shapes)} of another shape (e.g. {shapes[:2]}). Check that '
            'the config matches '
            'the checkpoint (arch, layout, num_classes).')


def load_pretrained(model, checkpoint, prefix=None, map_location='cpu'):
    """Load a TNT checkpoint of any known format into the backbone ``model``.

    What ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` runs
    for mmtnt's TNT. mmengine's own PretrainedInit keeps only keys that start
    with ``prefix``, so ``prefix='backbone.'`` would refuse an official or timm
    file and ``prefix=None`` would load a classifier file into nothing
    (non-strictly, without a word). Here both work for every format: the file
    is converted to classifier keys first, then the ``backbone.`` part is
    loaded, checked by :func:`adapt_state_dict` (layout, missing weights,
    shapes, position grid) and, before any weight is set, for backbone weights
    the model has no place for (e.g. a full TNT-S file into a Table 5 hybrid).
    ``checkpoint`` may be a path or a URL.
    """
    raw = unwrap(read_checkpoint(checkpoint, map_location))
    if prefix and prefix != 'backbone.' and isinstance(raw, dict):
        raw = OrderedDict((k[len(prefix):], v) for k, v in raw.items()
                          if k.startswith(prefix))
        if not raw:
            raise CheckpointFormatError(
                f'{checkpoint}: no key starts with prefix={prefix!r}.')
    try:
        state_dict, fmt, layout = convert_checkpoint(raw)
    except CheckpointFormatError as err:
        raise CheckpointFormatError(f'{checkpoint}: {err}') from None
    backbone = OrderedDict((k[len('backbone.'):], v)
                           for k, v in state_dict.items()
                           if k.startswith('backbone.'))
    extra = sorted(set(backbone) - set(model.state_dict()))
    if extra:
        try:  # another layout has other weights: say that first
            _check_layout(layout, model.layout, fmt)
        except CheckpointFormatError as err:
            raise CheckpointFormatError(f'{checkpoint}: {err}') from None
        raise CheckpointFormatError(
            f'{checkpoint}: {len(extra)} backbone weights of the file have no '
            f'place in the model, e.g. {extra[:3]}. Check arch/depth/'
            'inner_block_indices/with_se/with_*_pos against the checkpoint.')
    try:
        # missing and misshapen weights are refused by adapt_state_dict
        model.load_state_dict(backbone, strict=True)
    except CheckpointFormatError as err:
        raise CheckpointFormatError(f'{checkpoint}: {err}') from None
    return fmt, layout
