"""The one explicit list of feature families, their versions, and the pure entry point.

A family is a module with ``VERSION`` and ``compute(ctx) -> {column: (n_windows,) array}``;
``ctx`` is a ``WindowSet`` (EEG families) or a ``SpectrogramSet`` (the Kaggle spectrogram).
Bump a family's ``VERSION`` whenever its numbers change: the feature cache is keyed by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from features.families import (
    evolution,
    finespec,
    laterality,
    periodicity,
    quality,
    robust,
    spectral,
    spectrogram,
    symmetry,
    temporal,
)


@dataclass(frozen=True)
class Family:
    name: str
    source: str  # "eeg" (a WindowSet) or "spectrogram" (a SpectrogramSet)
    version: str
    compute: Callable[..., dict[str, np.ndarray]]
    default: bool = True
    """Part of the default feature set (``select_families(None)``); others are asked by name."""


def _family(name: str, source: str, module: ModuleType, *, default: bool = True) -> Family:
    return Family(name, source, module.VERSION, module.compute, default)


FAMILIES: tuple[Family, ...] = (
    _family("spectral", "eeg", spectral),
    _family("finespec", "eeg", finespec),
    _family("temporal", "eeg", temporal),
    _family("periodicity", "eeg", periodicity),
    _family("laterality", "eeg", laterality),
    _family("symmetry", "eeg", symmetry),
    _family("evolution", "eeg", evolution),
    _family("quality", "eeg", quality),
    # opt-in (``--families ...,robust``): no gain on the demo data's test-like CV (README,
    # "Feature ablation"), though it keeps bad electrodes out of the chains of real EEG
    _family("robust", "eeg", robust, default=False),
    _family("spectrogram", "spectrogram", spectrogram),
)
"""Every family, in column order."""

DEFAULT_FAMILIES: tuple[Family, ...] = tuple(f for f in FAMILIES if f.default)
"""The default feature set: every family but the opt-in ones."""


def family_names() -> tuple[str, ...]:
    return tuple(f.name for f in FAMILIES)


def select_families(names: Iterable[str] | None = None) -> tuple[Family, ...]:
    """The families named (the default set when ``names`` is None), in registry order; unknown
    names are refused with the list of known ones."""
    if names is None:
        return DEFAULT_FAMILIES
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in family_names()]
    if unknown:
        raise ValueError(
            f"unknown feature family {', '.join(unknown)}; known: {', '.join(family_names())}"
        )
    return tuple(f for f in FAMILIES if f.name in wanted)


def family_versions(families: Iterable[Family]) -> dict[str, str]:
    return {f.name: f.version for f in families}
