# TNT-S in the legacy weight layout of mmpretrain's released `tnt-
# small-p16_3rdparty_in1k` (81.52 top-1) and timm's `tnt_s_legacy_patch16_224`.
# Test it as it is: python tools/test.py
# configs/tnt/tnt-s-legacy_16xb64_in1k.py tnt-
# small-p16_3rdparty_in1k_20210903-c56ee7df.pth The checkpoint's mmpretrain key
# names are converted on load (mmtnt/checkpoint.py).
_base_ = './tnt-s_16xb64_in1k.py'

model = dict(backbone=dict(layout='legacy'))
