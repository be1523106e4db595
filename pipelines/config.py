"""Pipeline configuration: one frozen dataclass, overridden by CLI flags and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from features.montage import CLIP_UV, MAX_INTERP_GAP_SEC, SFREQ
from features.windows import CENTRE_SEC, EEG_WINDOW_SEC, SPECTROGRAM_WINDOW_SEC

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
class Config:
    """Everything a stage needs to know; paths come from here, never from a module import."""

    data_dir: Path = DEFAULT_DATA_DIR
    work_dir: Path = DEFAULT_WORK_DIR
    sfreq: float = SFREQ
    eeg_window_sec: float = EEG_WINDOW_SEC
    centre_sec: float = CENTRE_SEC
    spectrogram_window_sec: float = SPECTROGRAM_WINDOW_SEC
    clip_uv: float = CLIP_UV
    max_interp_gap_sec: float = MAX_INTERP_GAP_SEC
    seed: int = 0
    n_jobs: int = -1

    @classmethod
    def from_dirs(cls, data_dir=None, work_dir=None, **overrides) -> Config:
        """A config whose paths follow the CLI > environment > default convention."""
        return cls(
            data_dir=resolve_data_dir(data_dir), work_dir=resolve_work_dir(work_dir), **overrides
        )
