"""Parameter counts written out by hand from the papers' descriptions, for
tests to compare the built modules with."""


def linear(i, o, bias=True):
    return i * o + (o if bias else 0)


def trans2seg_head_params(keep_unused=False):
    """Trans2Seg's head as configured for ADE20K on TNT-S (Trans2Seg paper,
    Sec. 3; TNT paper, Table 11: E=256, 4+4 layers, 8 heads, MLP 3E, 16x16
    tokens, 150 classes on TNT-S's 384 channels).

    Returns:
        tuple[int, int]: All parameters, and those of the original's decoder
        layers whose outputs are discarded (included if ``keep_unused``).
    """
    E, L, heads, hw, classes, C, ch = 256, 4, 8, 16 * 16, 150, 384, 64
    mlp = linear(E, 3 * E) + linear(3 * E, E)
    norm = 2 * E
    encoder_layer = (norm + linear(E, 3 * E, bias=False) +
                     linear(E, E, bias=False) + norm + mlp
                     )  # mmseg's TransformerEncoderLayer, qkv_bias=False
    encoder = (
        linear(C, E) + E + (1 + 32 * 32) * E  # embed, cls token, 32x32 table
        + L * encoder_layer + norm)
    cross = 2 * norm + linear(E, E, bias=False) + linear(E, 2 * E, bias=False)
    token_update = linear(E, E) + 2 * (norm + mlp)  # proj, query/token MLPs
    attn_mlp = 2 * hw + linear(hw, 3 * hw) + linear(3 * hw, hw)
    used = L * cross + (L - 1) * token_update + attn_mlp
    unused = (L - 1) * attn_mlp + token_update  # outputs discarded
    decoder = classes * E + used + (unused if keep_unused else 0)

    def separable(i, o):  # depthwise 3x3 + BN, pointwise + BN, no conv bias
        return i * 9 + 2 * i + i * o + 2 * o

    conv_head = (
        separable(E + heads, ch) + separable(ch, ch) + C * ch + 2 * ch +
        separable(ch, ch) + linear(ch, 1))
    return encoder + decoder + conv_head, unused


# PyramidTNT variants as the official code defines them (arXiv 2201.00978,
# huawei-noah tnt_pytorch/pyramid_tnt.py): depths, first-stage widths D and c,
# first-stage heads; widths and heads grow 1, 2, 4, 4 per stage.
PYRAMID_TNT = {
    'ti': ((2, 6, 3, 2), 80, 5, 2, 1, 192),
    's': ((2, 8, 4, 2), 128, 8, 4, 2, 256),
    'm': ((2, 8, 6, 2), 192, 12, 4, 2, 256),
    'b': ((2, 10, 6, 2), 256, 16, 4, 2, 256),
}
SR_RATIOS = (4, 2, 1, 1)


def conv3x3(i, o):
    return 9 * i * o + o


def pyramid_tnt_counts(arch, classes=1000):
    """Parameters and multiply-adds (convs, linears, attention matmuls) of a
    PyramidTNT classifier at its training size, from the paper's description.

    Returns:
        tuple[int, int]: (parameters, MACs).
    """
    depths, D0, c0, heads0, _, size = PYRAMID_TNT[arch]
    D = [D0 * f for f in (1, 2, 4, 4)]
    c = [c0 * f for f in (1, 2, 4, 4)]
    s = size // 2  # the stem: 3x3 convs at H/2, H/4, H/8; BN after each
    stem = [(3, 2 * c0, s), (2 * c0, c0, s), (2 * c0, 4 * c0, s // 2),
            (4 * c0, 8 * c0, s // 4), (8 * c0, D0, s // 4)]
    params = sum(conv3x3(i, o) + 2 * o for i, o, _ in stem)
    macs = sum(9 * i * o * side * side for i, o, side in stem)
    n = [(size // 8 // 2**i)**2 for i in range(4)]  # sentences per stage
    params += n[0] * D0 + 16 * c0  # outer_pos, inner_pos
    for i in range(4):
        if i:  # word and sentence merges: LayerNorm, 3x3 stride-2 conv
            params += 2 * c[i - 1] + conv3x3(c[i - 1], c[i])
            params += 2 * D[i - 1] + conv3x3(D[i - 1], D[i])
            macs += n[i] * 9 * (16 * c[i - 1] * c[i] + D[i - 1] * D[i])
        keys = n[i] // SR_RATIOS[i]**2
        params += heads0 * (1, 2, 4, 4)[i] * n[i] * keys  # relative_pos
        for j in range(depths[i]):
            p, m = _pyramid_block(D[i], c[i], n[i], keys, SR_RATIOS[i] > 1,
                                  j == 0 or (j == 1 and depths[i] > 6))
            params, macs = params + p, macs + m
    params += 2 * D[3] + linear(D[3], classes)
    return params, macs + D[3] * classes


def _pyramid_block(D, c, n, keys, reduced, inner):
    """(params, MACs) of one block over ``n`` sentences attending to
    ``keys``."""
    params = 4 * D + 4 * D * D + D + linear(D, 4 * D) + linear(4 * D, D)
    macs = n * 2 * D * D + keys * 2 * D * D + 2 * n * keys * D + n * 8 * D * D
    if reduced:  # pooled keys: Linear + LayerNorm
        params += linear(D, D) + 2 * D
        macs += keys * D * D
    if inner:  # 16 words of width c; LayerNorms over 16c; proj 16c -> D
        params += 3 * 2 * 16 * c + 4 * c * c + c + linear(c, 4 * c)
        params += linear(4 * c, c) + 16 * c * D + 2 * D
        macs += n * (16 *
                     (4 * c * c + 8 * c * c) + 2 * 16 * 16 * c + 16 * c * D)
    return params, macs
