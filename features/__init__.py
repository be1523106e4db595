"""Recordings -> windows -> feature table. Pure numpy/scipy/MNE array functions; no file I/O."""
