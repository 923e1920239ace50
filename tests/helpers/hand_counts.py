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
