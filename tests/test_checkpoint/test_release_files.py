"""What tools/train.py and tools/test.py do with a checkpoint before the runner
loads it: convert a TNT release to an mmtnt file (convert_release) and refuse
a file that does not fit the model (check_fits); format detection by key."""
import os

import pytest
import torch
from torch import nn

from mmtnt.checkpoint import (CheckpointFormatError, check_fits,
                              convert_checkpoint, convert_release,
                              detect_format, read_checkpoint)
from tests.helpers import build_classifier
from tests.helpers.reference_checkpoints import (mmpretrain_checkpoint,
                                                 mmpretrain_classifier,
                                                 official_state_dict,
                                                 timm_model)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('releases')
    official = official_state_dict(timm_model('tnt_s_patch16_224'))
    torch.save(official, root / 'tnt_s_81.5.pth.tar')
    state, _, _ = convert_checkpoint(official)
    torch.save({'state_dict': state}, root / 'mmtnt.pth')
    torch.save({'state_dict': {
        f'module.{k}': v
        for k, v in state.items()
    }}, root / 'ddp.pth')
    torch.save(
        mmpretrain_checkpoint(mmpretrain_classifier()),
        root / 'mmpretrain.pth')
    return {
        'official': str(root / 'tnt_s_81.5.pth.tar'),
        'mmtnt': str(root / 'mmtnt.pth'),
        'ddp': str(root / 'ddp.pth'),
        'mmpretrain': str(root / 'mmpretrain.pth'),
        'state': state
    }


@pytest.fixture(scope='module')
def tnt_s():
    return build_classifier('tnt-s_16xb64_in1k.py')


def test_release_is_written_as_an_mmtnt_file_into_an_existing_folder(
        files, tmp_path):
    out = tmp_path / 'converted'
    os.makedirs(out)
    path, fmt = convert_release(files['official'], str(out))
    assert (path, fmt) == (str(out / 'tnt_s_81.5.pth.tar.mmtnt.pth'),
                           'official')
    saved = torch.load(path, weights_only=True)
    assert saved['meta'] == dict(
        source=files['official'], source_format='official', layout='official')
    torch.testing.assert_close(saved['state_dict'], files['state'])


def test_mmpretrain_release_is_converted_and_mmtnt_files_are_not(
        files, tmp_path):
    path, fmt = convert_release(files['mmpretrain'], str(tmp_path))
    assert fmt == 'mmpretrain'
    assert torch.load(path, weights_only=True)['meta']['layout'] == 'legacy'
    for name in ('mmtnt', 'ddp'):
        assert convert_release(files[name],
                               str(tmp_path)) == (files[name], None)


def test_format_of_each_release_and_of_mmtnt_files(files):
    assert convert_checkpoint(torch.load(files['mmtnt']))[1] == 'mmtnt'
    # any one official key is enough
    for key in ('outer_pos', 'blocks.0.inner_attn.qkv.weight',
                'blocks.0.outer_attn.qkv.weight'):
        assert detect_format([key, 'cls_token']) == 'official'
    assert detect_format(['layers.0.inner_block.attn.qkv.weight'
                          ]) == 'mmpretrain'
    assert detect_format(['blocks.0.attn_out.qkv.weight']) == 'timm'
    assert detect_format(['backbone.blocks.0.attn_out.qkv.weight']) is None


def test_converter_reads_with_the_given_map_location(files):
    seen = []

    def to_cpu(storage, location):
        seen.append(location)
        return storage

    state, fmt, layout = convert_checkpoint(
        read_checkpoint(files['official'], to_cpu))
    assert seen and (fmt, layout) == ('official', 'official')


def test_fitting_files_pass(files, tnt_s):
    for name in ('mmtnt', 'ddp'):  # DataParallel's module. prefix too
        check_fits(tnt_s, files[name])


def test_wrong_layout_is_named_before_the_weights(files, tnt_s, tmp_path):
    converted, _ = convert_release(files['mmpretrain'], str(tmp_path))
    with pytest.raises(CheckpointFormatError) as err:
        check_fits(tnt_s, converted)
    message = str(err.value)
    assert message.startswith(f"{converted}: the checkpoint has the 'legacy'")
    assert "layout='official'" in message
    assert 'configs/tnt/tnt-s-legacy_16xb64_in1k.py' in message


def test_other_shapes_are_counted_and_a_new_head_may_differ(files, tmp_path):
    model = build_classifier('tnt-s_16xb64_in1k.py')
    model.head.fc = nn.Linear(384, 10)
    with pytest.raises(CheckpointFormatError) as err:
        check_fits(model, files['mmtnt'])
    message = str(err.value)
    assert message.startswith(f"{files['mmtnt']} does not fit the model: ")
    assert '0 weights missing' in message and '0 unexpected' in message
    assert ("2 of another shape (file vs model, e.g. ['head.fc.bias (1000,) "
            "vs (10,)', 'head.fc.weight (1000, 384) vs (10, 384)'])"
            in message)
    check_fits(model, files['mmtnt'], head_may_differ=True)  # fine-tuning
    state = dict(files['state'])
    state['backbone.norm.weight'] = torch.ones(2)
    path = str(tmp_path / 'norm.pth')
    torch.save({'state_dict': state}, path)
    with pytest.raises(
            CheckpointFormatError,
            match=r"1 TNT weights of another shape \(file vs model\), e.g. "
            r"\['norm.weight \(2,\) vs \(384,\)'\]"):
        check_fits(model, path, head_may_differ=True)


def _rank_worker(source, out_dirs, skew, start, results):
    """One rank of a job, for each trial: wait for the start, convert the
    release, read back what it would load. Spawned, so nothing of the test
    process (threads, locks) is inherited."""
    import time

    import mmtnt.checkpoint as ckpt
    import mmtnt.checkpoint.writing as writing
    writes = []
    save = writing.save_atomic
    writing.save_atomic = lambda obj, path: (writes.append(path),
                                             save(obj, path))
    for out_dir in out_dirs:
        start.wait()
        time.sleep(skew)
        before = len(writes)
        try:
            path, _ = ckpt.convert_release(source, out_dir)
            state = ckpt.read_checkpoint(path)['state_dict']
            digest = sum(float(v.double().sum()) for v in state.values())
            results.put(('ok', len(writes) - before, digest))
        except Exception as err:  # noqa: BLE001 (reported to the test)
            results.put(('failed', len(writes) - before, repr(err)))


@pytest.mark.slow  # 8 processes, 10 conversions of TNT-S
def test_ranks_converting_one_release_write_it_once_and_read_it_whole(
        files, tmp_path):
    """8 ranks started up to 100 ms apart, 10 times: one write each time,
    every rank reads the whole file, the same weights."""
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    out_dirs = [str(tmp_path / f'trial{t}') for t in range(10)]
    start, results = ctx.Barrier(8), ctx.Queue()
    ranks = [
        ctx.Process(
            target=_rank_worker,
            args=(files['official'], out_dirs, 0.05 * (r % 3), start, results))
        for r in range(8)
    ]
    for p in ranks:
        p.start()
    try:
        for trial in range(10):
            got = [results.get(timeout=300) for _ in ranks]
            assert [r[0] for r in got] == ['ok'] * 8, (trial, got)
            assert sum(r[1] for r in got) == 1, (trial, got)  # one write
            assert len({r[2] for r in got}) == 1  # identical weights
    finally:
        for p in ranks:
            p.join(timeout=60)
            p.kill()
    # an unchanged source is not converted again; a changed one is
    path, _ = convert_release(files['official'], out_dirs[0])
    stamp = os.stat(path).st_mtime_ns
    convert_release(files['official'], out_dirs[0])
    assert os.stat(path).st_mtime_ns == stamp
    os.utime(files['official'], ns=(10**9, 10**9))
    convert_release(files['official'], out_dirs[0])
    assert os.stat(path).st_mtime_ns != stamp
