"""The feature families: one module each, ``VERSION`` and ``compute(ctx)``; listed in
``features.registry``."""
