"""Fitting a checkpoint to a model: one comparison of the two state dicts,
made before any weight is written, so a refused load leaves the model as it
was."""
from collections import OrderedDict, namedtuple

from mmengine.logging import print_log

from .errors import CONVERTER, CheckpointFormatError
from .formats import (TNT_FORMATS, convert_checkpoint, detect_format,
                      detect_layout, strip_prefix, to_mmtnt_backbone, unwrap)
from .reading import read_checkpoint

Mismatch = namedtuple('Mismatch', ['missing', 'unexpected', 'misshapen'])
Mismatch.__doc__ = """Keys of the model absent from the file, keys of the file
absent from the model, and ``'key (file shape) vs (model shape)'`` lines."""

BACKBONE_HINT = 'Check arch/depth/inner_block_indices/with_se/with_*_pos against the checkpoint.'  # noqa: E501
CONFIG_HINT = 'Check that the config matches the checkpoint (arch, layout, inner_block_indices, num_classes).'  # noqa: E501


def compare_state_dicts(model_sd, file_sd, may_differ=()):
    """What keeps ``file_sd`` from loading into a model whose state dict is
    ``model_sd``.

    Args:
        model_sd (dict): The model's state dict.
        file_sd (dict): The checkpoint's, in the model's names.
        may_differ (tuple[str]): Key prefixes whose shapes may differ (e.g.
            ``'head.'`` when fine-tuning to another class count).

    Returns:
        Mismatch: Each list sorted; all empty when the file fits.
    """
    shapes = [
        f'{k} {tuple(file_sd[k].shape)} vs {tuple(v.shape)}'
        for k, v in model_sd.items()
        if k in file_sd and hasattr(file_sd[k], 'shape') and file_sd[k].shape
        != v.shape and not k.startswith(tuple(may_differ))
    ]
    return Mismatch(
        sorted(set(model_sd) - set(file_sd)),
        sorted(set(file_sd) - set(model_sd)), sorted(shapes))


def mismatch_message(where, mismatch, hint=CONFIG_HINT):
    """The one message for a file that does not fit: counts and examples."""
    missing, unexpected, misshapen = mismatch
    return f'{where} does not fit the model: {len(missing)} weights missing (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]}), {len(misshapen)} of another shape (file vs model, e.g. {misshapen[:2]}). {hint}'  # noqa: E501


def check_layout(found, built, fmt):
    """Refuse weights of one TNT layout for a model built with the other."""
    if found is not None and found != built:
        raise CheckpointFormatError(
            f"the checkpoint has the {found!r} TNT layout ({fmt} names) but the model was built with layout={built!r}. Build the backbone with layout='{found}' (e.g. configs/tnt/tnt-s-legacy_16xb64_in1k.py for mmpretrain's released TNT-S); weights of one layout cannot be converted to the other ({CONVERTER} converts formats, not layouts)."  # noqa: E501
        )


def adapt_state_dict(model, state_dict, prefix):
    """Make the ``prefix`` part of ``state_dict`` fit ``model`` (a TNT
    backbone), in place; the backbone's load-state-dict pre-hook.

    Converts official and mmpretrain names, refuses a layout the model was not
    built with, any missing backbone weight and any weight of another shape
    (another arch), and resizes the sentence position encoding to the model's
    grid. mmengine loads non-strictly and only warns about shapes, which would
    otherwise leave a wrong checkpoint half-loaded.
    """
    local = strip_prefix(state_dict, prefix, keep_others=False)
    if not local:
        return
    converted, fmt = to_mmtnt_backbone(local)
    if fmt is None:  # e.g. a partial dict of our own names: torch reports it
        return
    if fmt == 'pyramid_tnt':
        raise CheckpointFormatError(
            "the checkpoint holds PyramidTNT weights (stages.N.relative_pos), not TNT: build the backbone as type='mmtnt.PyramidTNT' (configs/pyramid_tnt/)."  # noqa: E501
        )
    check_layout(detect_layout(converted), model.layout, fmt)
    missing, _, misshapen = compare_state_dicts(
        model.state_dict(), converted, may_differ=('patch_pos', ))
    if missing:
        raise CheckpointFormatError(
            f'the {fmt} checkpoint lacks {len(missing)} TNT weights the model needs, e.g. {missing[:4]}. Check arch/inner_block_indices/with_se/with_*_pos against the checkpoint, or convert it with {CONVERTER}.'  # noqa: E501
        )
    width = converted['cls_token'].shape[-1]  # present: none is missing
    if misshapen and width == model.embed_dims:
        raise CheckpointFormatError(
            f'the {fmt} checkpoint has {len(misshapen)} TNT weights of another shape (file vs model), e.g. {misshapen[:2]}. {CONFIG_HINT}'  # noqa: E501
        )
    if misshapen:
        raise CheckpointFormatError(
            f"the {fmt} checkpoint is another TNT size: its sentence width is {width}, the model's {model.embed_dims}; {len(misshapen)} weights differ in shape (file vs model), e.g. {misshapen[:2]}. Build the arch the checkpoint was trained with (Ti 192, S 384, B 640)."  # noqa: E501
        )
    if model.patch_pos is not None:
        converted['patch_pos'] = _resized_sentence_pos(model,
                                                       converted['patch_pos'])
    for k in local:
        del state_dict[prefix + k]
    state_dict.update((prefix + k, v) for k, v in converted.items())


def adapt_pyramid_state_dict(model, state_dict, prefix):
    """Make the ``prefix`` part of ``state_dict`` fit ``model`` (a PyramidTNT
    backbone), in place; the backbone's load-state-dict pre-hook.

    Refuses TNT weights, any missing weight and any weight of another shape
    (another variant); the position encoding and attention biases are resized
    to the model's grids (``model.resized_from_checkpoint``).
    """
    local = strip_prefix(state_dict, prefix, keep_others=False)
    fmt = detect_format(local)
    if fmt in TNT_FORMATS:
        raise CheckpointFormatError(
            f"the checkpoint holds TNT weights ({fmt} names), not PyramidTNT: build the backbone as type='mmtnt.TNT', or load a PyramidTNT file."  # noqa: E501
        )
    if fmt is None:  # e.g. a partial dict of our own names: torch reports it
        return
    fitted = OrderedDict(
        (k, model.resized_from_checkpoint(k, v)) for k, v in local.items())
    missing, _, misshapen = compare_state_dicts(model.state_dict(), fitted)
    if misshapen:
        raise CheckpointFormatError(
            f"the PyramidTNT checkpoint is another variant: {len(misshapen)} weights differ in shape (file vs model), e.g. {misshapen[:2]}. Build the arch it was trained with (first-stage width Ti 80, S 128, M 192, B 256)."  # noqa: E501
        )
    if missing:
        raise CheckpointFormatError(
            f'the PyramidTNT checkpoint lacks {len(missing)} weights the model needs, e.g. {missing[:4]}. Check arch (ti, s, m, b) against the checkpoint.'  # noqa: E501
        )
    for k in local:
        del state_dict[prefix + k]
    state_dict.update((prefix + k, v) for k, v in fitted.items())


def _resized_sentence_pos(model, pos):
    """``pos`` (1, 1 + n, D) resized to the model's sentence grid."""
    if pos.shape == model.patch_pos.shape:
        return pos
    n = pos.shape[1] - 1
    side = int(round(n**0.5))
    if side * side != n:
        raise CheckpointFormatError(
            f'patch_pos of shape {tuple(pos.shape)} is not a square grid; set img_size to the size the checkpoint was trained at.'  # noqa: E501
        )
    # Imported here: mmpretrain.models pulls in its whole model zoo (and
    # mmdet's): 2-3 s that `import mmtnt` and --help need not pay.
    from mmpretrain.models.utils import resize_pos_embed
    return resize_pos_embed(pos, (side, side), model.grid_size,
                            model.interpolate_mode, 1)


def fit_state_dict(model,
                   state_dict,
                   where,
                   head_may_differ=False,
                   hint=CONFIG_HINT):
    """``state_dict`` as ``model`` will load it, or CheckpointFormatError.

    Every TNT part is adapted first (names, layout, position grid: the
    modules with an ``adapt_state_dict`` method), then the whole is compared
    with the model's. Nothing is written to the model.

    Args:
        model (nn.Module): The model to load into.
        state_dict (dict): The checkpoint's state dict (not changed).
        where (str): What the file is called in a message (its path).
        head_may_differ (bool): Accept a ``head.`` of other shapes.
        hint (str): The message's last sentence: what to check.
    """
    state = OrderedDict(state_dict)
    try:
        for name, module in model.named_modules():
            adapt = getattr(module, 'adapt_state_dict', None)
            if callable(adapt):
                adapt(state, f'{name}.' if name else '')
    except CheckpointFormatError as err:
        raise CheckpointFormatError(f'{where}: {err}') from None
    mismatch = compare_state_dicts(
        model.state_dict(),
        state,
        may_differ=('head.', ) if head_may_differ else ())
    if any(mismatch):
        raise CheckpointFormatError(mismatch_message(where, mismatch, hint))
    return state


def model_state_dict(checkpoint, where):
    """The state dict of a read checkpoint in a whole model's names: a bare
    TNT release (backbone + ``head.*``) becomes classifier keys."""
    state = unwrap(checkpoint)
    if state is None:
        raise CheckpointFormatError(f'{where}: the file holds no state dict.')
    if not any(k.startswith('backbone.')
               for k in state) and detect_format(state):
        state = convert_checkpoint(state)[0]
    return state


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
        CheckpointFormatError: The file does not fit the model (missing,
            unexpected or misshapen weights, counted and named); the model is
            left unchanged.
    """
    checkpoint = read_checkpoint(filename, map_location)
    state = fit_state_dict(model, model_state_dict(checkpoint, filename),
                           filename)
    model.load_state_dict(state, strict=True)
    return checkpoint if isinstance(checkpoint, dict) else {}


def check_fits(model, checkpoint, where=None, head_may_differ=False):
    """Raise :class:`CheckpointFormatError` unless ``checkpoint`` sets every
    weight of ``model`` with the right shape (the sentence position grid may
    differ: it is resized on load). Nothing is written to the model.

    Args:
        model (nn.Module): The model.
        checkpoint (str | dict): A path, or a checkpoint already read.
        where (str, optional): The file's name in a message (default: the
            path).
        head_may_differ (bool): Accept a classifier head of another class
            count (fine-tuning).
    """
    if isinstance(checkpoint, str):
        where = where or checkpoint
        checkpoint = read_checkpoint(checkpoint)
    fit_state_dict(model, model_state_dict(checkpoint, where), where,
                   head_may_differ)


def init_from_pretrained(model, init_cfg):
    """Load the last ``dict(type='Pretrained', ...)`` of ``init_cfg`` into the
    backbone ``model`` with :func:`load_pretrained`; False when there is none.

    mmtnt's backbones call it from ``init_weights`` instead of mmengine's
    PretrainedInit, which loads non-strictly and reads one format only.
    """
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    pretrained = [
        c for c in cfgs
        if isinstance(c, dict) and c.get('type') == 'Pretrained'
    ]
    if not pretrained:
        return False
    cfg = pretrained[-1]
    fmt, layout = load_pretrained(model, cfg['checkpoint'], cfg.get('prefix'),
                                  cfg.get('map_location', 'cpu'))
    print_log(
        f'{type(model).__name__}: loaded {cfg["checkpoint"]} ({fmt} format, {layout} layout)',  # noqa: E501
        logger='current')
    return True


def load_pretrained(model, checkpoint, prefix=None, map_location='cpu'):
    """Load a TNT checkpoint of any known format into the backbone ``model``.

    What ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` runs
    for mmtnt's TNT. mmengine's own PretrainedInit keeps only keys that start
    with ``prefix``, so ``prefix='backbone.'`` would refuse an official or timm
    file and ``prefix=None`` would load a classifier file into nothing
    (non-strictly, without a word). Here both work for every format: the file
    is converted to classifier keys, its ``backbone.`` part is fitted to the
    model (layout, missing weights, shapes, position grid, weights the model
    has no place for) and only then loaded. ``checkpoint`` may be a path or a
    URL.

    Returns:
        tuple[str, str]: The source format and layout.
    """
    raw = unwrap(read_checkpoint(checkpoint, map_location))
    if prefix and prefix != 'backbone.' and raw is not None:
        raw = strip_prefix(raw, prefix, keep_others=False)
        if not raw:
            raise CheckpointFormatError(
                f'{checkpoint}: no key starts with prefix={prefix!r}.')
    try:
        state_dict, fmt, layout = convert_checkpoint(raw)
    except CheckpointFormatError as err:
        raise CheckpointFormatError(f'{checkpoint}: {err}') from None
    backbone = strip_prefix(state_dict, 'backbone.', keep_others=False)
    state = fit_state_dict(model, backbone, checkpoint, hint=BACKBONE_HINT)
    model.load_state_dict(state, strict=True)
    return fmt, layout
