from .figures import (attention_rollout, draw_cls_attention, draw_feature_maps,
                      draw_inner_attention, draw_outer_attention,
                      draw_word_embeddings)
from .loading import load_backbone_and_images
from .probe import TNTProbe

__all__ = [
    'TNTProbe', 'attention_rollout', 'draw_cls_attention', 'draw_feature_maps',
    'draw_inner_attention', 'draw_outer_attention', 'draw_word_embeddings',
    'load_backbone_and_images'
]
