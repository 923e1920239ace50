# Paper Table 6: TNT-S without the word position encoding, sentence encoding
# kept. 80.8 top-1.
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(with_word_pos=False))
