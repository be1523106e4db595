"""Where data and outputs are: CLI flag, else environment variable, else the default.

The settings that change feature numbers live with the features (``features.montage``,
``features.windows``, ``features.spectra``, ``features.bands``) and are hashed together by
``pipelines.features_stage.feature_config``; model settings travel as arguments and are
recorded in each model bundle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class WorkLayout:
    """Every output path under the work dir, named in one place.

    >>> layout = WorkLayout(Path("w"))
    >>> layout.latest.as_posix(), layout.bundle("20260101-000000").as_posix()
    ('w/models/LATEST', 'w/models/20260101-000000')
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def features(self) -> Path:
        """Feature caches: ``features/{dataset key}/{config hash}/``."""
        return self.root / "features"

    def feature_root(self, dataset_key: str, config_hash: str) -> Path:
        return self.features / dataset_key / config_hash

    @property
    def models(self) -> Path:
        """Model bundles, one folder per run, and the ``LATEST`` pointer."""
        return self.root / "models"

    @property
    def latest(self) -> Path:
        return self.models / "LATEST"

    def bundle(self, run: str) -> Path:
        return self.models / run

    @property
    def tuning(self) -> Path:
        """The default Optuna study database."""
        return self.root / "tuning"

    @property
    def submissions(self) -> Path:
        return self.root / "submissions"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def report(self, run: str) -> Path:
        return self.reports / run

    @property
    def annotations(self) -> Path:
        """``hms annotate`` outputs, one folder per recording."""
        return self.root / "annotations"
