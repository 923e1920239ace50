# PyramidTNT's parameters without weight decay besides norms and biases, as the
# official code's no_weight_decay(): the two position encodings (the attention
# biases, stages.N.relative_pos, do decay).
pyramid_tnt_no_decay = dict(
    outer_pos=dict(decay_mult=0.0), inner_pos=dict(decay_mult=0.0))
