import torch.nn as nn


class Mlp(nn.Module):
    """Two-layer MLP with GELU (``fc1``/``fc2``: the official and timm TNT
    names).

    Args:
        in_features (int): Input and output dimension.
        hidden_features (int): Hidden dimension.
        drop (float): Dropout after the activation and after ``fc2``. Defaults
            to 0.
    """

    def __init__(self, in_features, hidden_features, drop=0.):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))
