"""``hms kaggle-package``: everything a Kaggle code-competition notebook needs, offline.

``package`` builds the folder (wheels, model bundle, manifest); ``notebook`` writes the
notebook that installs from it and submits, and its ``kernel-metadata.json``.
"""
