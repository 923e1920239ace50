import torch.nn as nn


class SE(nn.Module):
    """Squeeze-and-excitation over tokens, as in the official TNT code (paper
    Table 12).

    The token-mean goes through LN -> Linear -> ReLU -> Linear -> Tanh and
    scales every token. mmcv's ``SELayer`` works on NCHW maps with convs and a
    sigmoid gate, so it is not the same function and would not load the
    official ``se_layer.fc.*`` weights.

    Args:
        dim (int): Token dimension.
        hidden_ratio (float): Hidden width as a fraction of ``dim``. Defaults
            to 0.25.
    """

    def __init__(self, dim, hidden_ratio=0.25):
        super().__init__()
        hidden = int(dim * hidden_ratio)
        self.fc = nn.Sequential(
            nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, dim), nn.Tanh())

    def forward(self, x):
        return x * self.fc(x.mean(dim=1, keepdim=True))
