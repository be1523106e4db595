"""Configuration, the Kaggle-layout reader and validator, the demo data generator, the stages
and the ``hms`` command line."""
