from .pyramid_upsample import PyramidUpsample
from .tnt_feature_pyramid import TNTFeaturePyramid

__all__ = ['PyramidUpsample', 'TNTFeaturePyramid']
