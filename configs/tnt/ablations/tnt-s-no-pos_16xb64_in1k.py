# Paper Table 6: TNT-S without any position encoding. 80.5 top-1.
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(with_sentence_pos=False, with_word_pos=False))
