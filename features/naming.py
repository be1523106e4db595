"""The column-name schema, built and parsed in one place.

Every feature column is named ``{source}_{family}_{feature}[_{unit}][_{scale}]``, lowercase:

- ``source``: ``eeg`` (the 50 s EEG window) or ``spec`` (the Kaggle 10-minute spectrogram);
- ``family``: the feature family (``spectral``, ``temporal``, ... see ``features.registry``);
- ``feature``: what is measured; it may hold underscores (``abspow_alpha``, ``acf_peak``);
- ``unit``: where: a bipolar derivation (``fp1-f7``), a chain (``ll``), a left/right region
  (``temporal``), ``all`` (every derivation) or ``max`` (the largest over derivations); absent
  for whole-recording measures such as the EKG heart rate;
- ``scale``: the time span, ``50s`` (window), ``10s`` (labelled centre), ``600s``/``60s``/``20s``
  (spectrogram slices).

The families build names with :func:`column_name`; readers of names (the report, the starter
set, the ablation) use :func:`parse_column`. The parse is exact because units are a closed
vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from features.montage import BIPOLAR_NAMES, CHAINS, KAGGLE_CHAINS, REGIONS

SOURCES: dict[str, str] = {"eeg": "eeg", "spectrogram": "spec"}
"""Family source (as in the registry) -> the name prefix of its columns."""

UNITS: frozenset[str] = frozenset(
    (*BIPOLAR_NAMES, *CHAINS, *(c.lower() for c in KAGGLE_CHAINS), *REGIONS, "hemi", "all", "max")
)
"""Every unit a column name may carry."""

_SCALE = re.compile(r"^\d+s$")


@dataclass(frozen=True)
class ColumnName:
    """The parts of a feature column name."""

    source: str
    family: str
    feature: str
    unit: str | None
    scale: str | None

    @property
    def name(self) -> str:
        return column_name(self.source, self.family, self.feature, self.unit, self.scale)


def column_name(
    source: str, family: str, feature: str, unit: str | None = None, scale: str | None = None
) -> str:
    """The column name of one feature.

    >>> column_name("eeg", "spectral", "abspow_alpha", "fp1-f7", "50s")
    'eeg_spectral_abspow_alpha_fp1-f7_50s'
    >>> column_name("eeg", "quality", "ekg_hr", scale="10s")
    'eeg_quality_ekg_hr_10s'
    """
    parts = [source, family, feature]
    if unit is not None:
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r} in a {family} column name")
        parts.append(unit)
    if scale is not None:
        parts.append(scale)
    return "_".join(parts)


def parse_column(name: str) -> ColumnName:
    """Split a feature column name into its parts (the inverse of :func:`column_name`).

    >>> parse_column("eeg_periodicity_delta_sharp_cz-pz_50s")
    ColumnName(source='eeg', family='periodicity', feature='delta_sharp', unit='cz-pz', scale='50s')
    >>> parse_column("eeg_quality_ekg_hr_10s").unit is None
    True
    """
    tokens = name.split("_")
    if len(tokens) < 3 or tokens[0] not in SOURCES.values():
        raise ValueError(f"{name!r} is not a feature column name")
    source, family, rest = tokens[0], tokens[1], tokens[2:]
    scale = rest.pop() if len(rest) > 1 and _SCALE.match(rest[-1]) else None
    unit = rest.pop() if len(rest) > 1 and rest[-1] in UNITS else None
    return ColumnName(source, family, "_".join(rest), unit, scale)
