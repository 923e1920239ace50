# mmtnt's guarantees for any task (docs/reliability.md), inherited beside a
# toolbox's runtime and used as `default_hooks = _base_.mmtnt_hooks` (a name of
# its own, so it never clashes with the toolbox's default_hooks):
# - checkpoints written to a temporary file and renamed (mmtnt_atomic), so a
#   killed run never leaves a truncated one (mmtnt/fileio.py);
# - augmentation and dropout drawn from (seed, position), so --resume ends
#   where an uninterrupted run ends (mmtnt/engine/exact_resume.py);
# - a broken image or label stops the run naming the file (skip=True: skipped
#   and counted).
# The fourth, a NaN or infinite loss stopping every rank before the weights
# change, is the optimizer wrapper's: optim_wrapper.type =
# 'mmtnt.GuardedOptimWrapper' (on_nonfinite_loss='skip' skips the step).
mmtnt_hooks = dict(
    checkpoint=dict(
        max_keep_ckpts=3, backend_args=dict(backend='mmtnt_atomic')),
    exact_resume=dict(type='mmtnt.ExactResumeHook'),
    broken_data=dict(type='mmtnt.BrokenDataHook', skip=False),
)
