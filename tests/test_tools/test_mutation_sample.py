"""tools/misc/mutation_sample.py: the sampled mutation score, its interval and
what counts as killed, read from mutmut's result files.
"""
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def tool(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'mutation_sample', osp.join(ROOT, 'tools', 'misc',
                                    'mutation_sample.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    return module


def write_meta(path, codes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({'exit_code_by_key': codes}))


def test_wilson_interval_of_85_in_100(tool):
    # Wilson (1927) 95% interval of 85/100, by hand: centre
    # (0.85 + 1.96^2 / 200) / (1 + 1.96^2 / 100) = 0.8370, half width
    # 1.96 sqrt(0.85 * 0.15 / 100 + 1.96^2 / 40000) / 1.0384 = 0.0699.
    low, high = tool.wilson(85, 100)
    assert low == pytest.approx(0.8370 - 0.0699, abs=2e-4)
    assert high == pytest.approx(0.8370 + 0.0699, abs=2e-4)


def test_report_counts_timeouts_as_killed_and_uncovered_as_survived(
        tool, tmp_path, capsys):
    a = 'mmtnt.checkpoint.x_f__mutmut_'
    write_meta(
        tmp_path / 'mutants/mmtnt/checkpoint.py.meta',
        {
            a + '1': 1,  # a test failed
            a + '2': 36,  # timed out
            a + '3': 0,  # survived
            a + '4': 33,  # no fast test covers it
            a + '5': 0,  # survived, listed as equivalent
            a + '6': None,  # not run
        })
    write_meta(tmp_path / 'mutants/mmtnt/models/mlp.py.meta',
               {'mmtnt.models.mlp.x_g__mutmut_1': 1})
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs/mutation_equivalent.txt'
     ).write_text(f'# comment\n{a}5  # same values\n')
    codes = tool.exit_codes()
    sample = tool.draw(codes, 'mmtnt.checkpoint', 10, seed=0)
    assert sorted(sample) == sorted(a + str(i) for i in range(1, 7))
    tool.report({'mmtnt.checkpoint': sample}, codes, tool.read_equivalent())
    out = capsys.readouterr().out
    # 6 mutants: killed 2 (1, 2), survived 2 (3, 4), equivalent 1, not run 1
    assert '| `mmtnt.checkpoint` | 6 | 6 | 2 | 2 | 1 | 1 | 50% |' in out
    assert a + '3  (exit code 0)' in out
    assert a + '4  (exit code 33)' in out
    assert a + '5 ' not in out


def test_draw_is_seeded_and_refuses_an_unknown_module(tool):
    codes = {f'mmtnt.models.x_f__mutmut_{i}': 1 for i in range(50)}
    first = tool.draw(codes, 'mmtnt.models', 10, seed=3)
    assert first == tool.draw(codes, 'mmtnt.models', 10, seed=3)
    assert first != tool.draw(codes, 'mmtnt.models', 10, seed=4)
    assert len(set(first)) == 10
    with pytest.raises(SystemExit, match="no mutant of 'mmtnt.model'"):
        tool.draw(codes, 'mmtnt.model', 10, seed=0)
