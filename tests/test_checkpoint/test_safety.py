"""Files from the internet are data: a checkpoint whose pickle would run a
command is refused by every entry point before the command runs; real
checkpoints of every kind still load."""
import os
import subprocess
import sys

import pytest
import torch

from mmtnt.checkpoint import CheckpointFormatError, read_checkpoint
from tests.helpers import DIGITS_CONFIG, ROOT, digits_options


class RunsACommand:
    """Unpickling calls os.system (any code could stand there)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def hostile(tmp_path):
    marker = tmp_path / 'it_ran'
    path = tmp_path / 'tnt_s_81.5.pth.tar'
    torch.save(
        {
            'state_dict': {
                'outer_pos': torch.zeros(1, 197, 384)
            },
            'args': RunsACommand(marker)
        }, path)
    return str(path), marker


def test_reader_refuses_and_names_the_type(hostile):
    path, marker = hostile
    with pytest.raises(CheckpointFormatError) as err:
        read_checkpoint(path)
    assert str(err.value) == (
        f'{path}: refused to load: it needs posix.system, which no real '
        'checkpoint holds (unpickling it could run code). If you trust this '
        'file, set MMTNT_TRUST_CHECKPOINTS=1.')
    assert not marker.exists()


def entry_points(path, digits_root, work):
    opts = digits_options(digits_root, max_epochs=1)
    return {
        'tools/test.py':
        ['tools/test.py', DIGITS_CONFIG, path, '--work-dir', work + '/t'] +
        opts,
        'tools/train.py --resume': [
            'tools/train.py', DIGITS_CONFIG, '--work-dir', work + '/r',
            '--resume', path
        ] + opts,
        'load_from':
        ['tools/train.py', DIGITS_CONFIG, '--work-dir', work + '/l'] + opts +
        [f'load_from={path}'],
        'Pretrained init':
        ['tools/train.py', DIGITS_CONFIG, '--work-dir', work + '/p'] + opts + [
            'model.backbone.init_cfg.type=Pretrained',
            f'model.backbone.init_cfg.checkpoint={path}'
        ],
        'converter':
        ['tools/model_converters/tnt_to_mmtnt.py', path, work + '/c/out.pth'],
        'inference API': [
            '-c', 'import sys; from mmtnt.apis import get_model; '
            'get_model(sys.argv[1], sys.argv[2])', DIGITS_CONFIG, path
        ],
        'tools/infer.py': [
            'tools/infer.py', DIGITS_CONFIG, path, path, '--out-dir',
            work + '/i'
        ],
    }


@pytest.mark.slow
def test_every_entry_point_refuses_it_before_it_runs(hostile, digits_root,
                                                     tmp_path):
    path, marker = hostile
    env = dict(os.environ, PYTHONPATH=ROOT)
    procs = {
        name:
        subprocess.Popen(
            [sys.executable] + args,
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        for name, args in entry_points(path, digits_root, str(tmp_path /
                                                              'work')).items()
    }
    for name, proc in procs.items():
        out = proc.communicate(timeout=300)[0]
        assert proc.returncode != 0, name
        assert 'posix.system' in out and 'MMTNT_TRUST_CHECKPOINTS=1' in out, (
            name, out[-2000:])
        assert not marker.exists(), name


def test_trusting_a_file_is_an_explicit_opt_in(hostile, monkeypatch):
    path, marker = hostile
    monkeypatch.setenv('MMTNT_TRUST_CHECKPOINTS', '1')
    read_checkpoint(path)
    assert marker.exists()
