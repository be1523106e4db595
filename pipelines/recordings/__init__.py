"""Whole recordings in (any file MNE reads), a timeline of pattern probabilities out."""
