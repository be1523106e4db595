"""KL metric, soft labels, folds, gradient-boosted models, blending, tuning and model bundles."""
