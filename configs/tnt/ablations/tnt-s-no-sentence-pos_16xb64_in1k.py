# Paper Table 6: TNT-S without the sentence (patch) position encoding, word
# encoding kept.
# 80.7 top-1.
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(with_sentence_pos=False))
