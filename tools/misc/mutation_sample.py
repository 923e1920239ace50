"""Estimate the mutation score of mmtnt modules from a random sample of their
mutants (mutmut 3, settings in setup.cfg [mutmut]).

    python tools/misc/mutation_sample.py mmtnt.checkpoint mmtnt.models \
        [--sample 100] [--seed 0] [--jobs 2] [--report-only]

For each module prefix, ``--sample`` of its mutants are drawn at random
(seeded) and run by ``mutmut run NAME ...``; the table gives killed (a fast
test failed, or the run timed out), survived (no test failed, or no fast test
covers the function), the mutants listed as equivalent in
``docs/mutation_equivalent.txt`` (one name per line, ``#`` comments), and the
score killed / (sampled - equivalent) with its 95% Wilson interval.
Mutants killed by an earlier run are not run again (``--rerun`` runs them
too); ``--report-only`` prints the table of the last results.
``make mutation`` runs every mutant instead.
"""
import argparse
import hashlib
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

MUTANTS = Path('mutants')
EQUIVALENT = Path('docs/mutation_equivalent.txt')
KILLED = {1, 3, 24, -24, 36, 152, 255}  # a failed test, or a timeout
NOT_RUN = {None, 2, 34}


def generate_mutants(jobs):
    """Write mutants/ with mutmut's own generator (what ``mutmut run`` does
    first)."""
    from mutmut.__main__ import (CatchOutput, copy_also_copy_files,
                                 copy_src_dir, create_mutants,
                                 set_mutant_under_test, setup_source_paths,
                                 store_lines_covered_by_tests)
    set_mutant_under_test('mutant_generation')
    MUTANTS.mkdir(exist_ok=True)
    with CatchOutput(spinner_title='Generating mutants'):
        copy_src_dir()
        copy_also_copy_files()
        setup_source_paths()
        store_lines_covered_by_tests()
        create_mutants(jobs)
    # mutmut copies files, not links: give its copy of mmtnt the .mim links
    mim = MUTANTS / 'mmtnt' / '.mim'
    mim.mkdir(parents=True, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        link = mim / name
        if link.is_symlink():
            continue
        if link.is_dir():  # a copy of the checkout's link
            shutil.rmtree(link)
        elif link.exists():
            link.unlink()
        link.symlink_to(Path('../..') / name)


def exit_codes():
    """{mutant name: mutmut exit code or None} from mutants/**/*.meta."""
    codes = {}
    for meta in sorted(MUTANTS.glob('mmtnt/**/*.py.meta')):
        codes.update(json.loads(meta.read_text())['exit_code_by_key'])
    return codes


def read_equivalent():
    if not EQUIVALENT.exists():
        return set()
    lines = EQUIVALENT.read_text().splitlines()
    return {
        line.split('#')[0].strip()
        for line in lines if line.split('#')[0].strip()
    }


def draw(names, prefix, size, seed):
    """The ``size`` mutants of ``prefix`` whose seeded hashes are smallest: a
    uniform random sample that stays the same when mutants of other functions
    come or go (an edit elsewhere does not redraw it)."""
    members = [n for n in names if n.startswith(prefix + '.')]
    if not members:
        raise SystemExit(
            f'no mutant of {prefix!r} in {MUTANTS}/; module prefixes look like mmtnt.checkpoint'  # noqa: E501
        )

    def rank(name):
        return hashlib.sha256(f'{seed}:{name}'.encode()).hexdigest()

    return sorted(members, key=rank)[:size]


def wilson(killed, total, z=1.96):
    if total == 0:
        return float('nan'), float('nan')
    p = killed / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z /
                         (4 * total * total)) / (1 + z * z / total)
    return centre - half, centre + half


def report(samples, codes, equivalent):
    print(
        '| module | mutants | sampled | killed | survived | equivalent | not run | score | 95% interval |'  # noqa: E501
    )
    print('|---|---|---|---|---|---|---|---|---|')
    survivors = []
    for prefix, sample in samples.items():
        population = sum(n.startswith(prefix + '.') for n in codes)
        equiv = [n for n in sample if n in equivalent]
        not_run = [n for n in sample if codes.get(n) in NOT_RUN]
        killed = [n for n in sample if codes.get(n) in KILLED]
        survived = [
            n for n in sample
            if n not in equivalent and n not in killed and n not in not_run
        ]
        survivors += survived
        scored = len(killed) + len(survived)
        low, high = wilson(len(killed), scored)
        score = len(killed) / scored if scored else float('nan')
        print(
            f'| `{prefix}` | {population} | {len(sample)} | {len(killed)} | {len(survived)} | {len(equiv)} | {len(not_run)} | {score:.0%} | {low:.0%}-{high:.0%} |'  # noqa: E501
        )
    if survivors:
        print('\nsurvived (read each with: python -m mutmut show NAME):')
        for name in survivors:
            print(f'  {name}  (exit code {codes.get(name)})')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('modules', nargs='+', help='e.g. mmtnt.checkpoint')
    parser.add_argument(
        '--sample',
        type=int,
        default=100,
        help='mutants drawn per module prefix')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='mutants run at once (mutmut --max-children)')
    parser.add_argument(
        '--rerun',
        action='store_true',
        help='run the mutants killed before again too')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help="print the sample's last results, run nothing")
    args = parser.parse_args()

    if not args.report_only:
        generate_mutants(args.jobs)
    codes = exit_codes()
    samples = {
        prefix: draw(codes, prefix, args.sample, args.seed)
        for prefix in args.modules
    }
    if not args.report_only:
        # a mutant killed before stays killed (tests are only added or made
        # stricter); mutmut forgets the results of functions that changed
        names = [
            n for sample in samples.values() for n in sample
            if args.rerun or codes.get(n) not in KILLED
        ]
        subprocess.run([
            sys.executable, '-m', 'mutmut', 'run', '--max-children',
            str(args.jobs), *names
        ])
        codes = exit_codes()
    report(samples, codes, read_equivalent())


if __name__ == '__main__':
    main()
