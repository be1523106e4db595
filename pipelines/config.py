"""Where data and outputs are: CLI flag, else environment variable, else the default.

The settings that change feature numbers live with the features (``features.montage``,
``features.windows``, ``features.spectra``, ``features.bands``) and are hashed together by
``pipelines.features_stage.feature_config``; model settings travel as arguments and are
recorded in each model bundle.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "HMS_DATA_DIR"
WORK_DIR_ENV = "HMS_WORK_DIR"
DEFAULT_WORK_DIR = Path("data")
DEFAULT_DATA_DIR = DEFAULT_WORK_DIR / "demo"
"""The embedded default: ``make demo`` generates the demo data set here."""


def resolve_data_dir(value: str | os.PathLike | None) -> Path:
    """``--data-dir`` if given, else ``$HMS_DATA_DIR``, else ``data/demo``."""
    return Path(value or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def resolve_work_dir(value: str | os.PathLike | None) -> Path:
    """``--work-dir`` if given, else ``$HMS_WORK_DIR``, else ``data/``."""
    return Path(value or os.environ.get(WORK_DIR_ENV) or DEFAULT_WORK_DIR)
