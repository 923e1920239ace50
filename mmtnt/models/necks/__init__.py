from .tnt_feature_pyramid import TNTFeaturePyramid

__all__ = ['TNTFeaturePyramid']
