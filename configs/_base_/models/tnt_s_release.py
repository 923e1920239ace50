# The authors' TNT-S release (paper Table 3: 81.5% top-1; official layout),
# the backbone of the detection and segmentation configs, and the parameters
# TNT trains without weight decay (class token, position encodings).
tnt_s_release = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/tnt/tnt_s_81.5.pth.tar'  # noqa: E501
tnt_no_decay = {
    '.cls_token': dict(decay_mult=0.),
    '.patch_pos': dict(decay_mult=0.),
    '.pixel_pos': dict(decay_mult=0.),
}
