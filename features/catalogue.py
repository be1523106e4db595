"""The feature catalogue: a plain name, what it measures and its unit for every feature
column, generated from the naming schema (``features.naming``).

A column ``{source}_{family}_{feature}[_{unit}][_{scale}]`` is described by its family and
feature (an entry of :data:`ENTRIES`, band names filled in), where it is measured (the unit:
a derivation, a chain, a region) and over what span (the scale). :func:`label` is the short
name the report's plots use; :func:`catalogue_table` is the README's and the report's table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.bands import BANDS
from features.families.finespec import FINE_BINS
from features.montage import CHAINS
from features.naming import parse_column

BAND_TEXT = {name: f"{lo:g}-{hi:g} Hz" for name, (lo, hi) in {**BANDS, "total": (0.5, 40)}.items()}
BAND_TEXT["total"] = "total (0.5-40 Hz)"
BAND_PLAIN = {"hdelta": "high delta", "fast": "fast (20-40 Hz)"}
"""Plain band names where the short one is not a clinical word."""


@dataclass(frozen=True)
class Entry:
    """One feature of one family: plain name, what it measures, physical unit."""

    plain: str
    measures: str
    unit: str


def _bands(template: str, plain: str, measures: str, unit: str, extra=()) -> dict:
    return {
        template.format(band=b): Entry(
            plain.format(band=BAND_PLAIN.get(b, b)), measures.format(band=BAND_TEXT.get(b, b)), unit
        )
        for b in (*BANDS, *extra)
    }


def _evolution() -> dict:
    out = {}
    series = {
        f"logpow_{b}": (f"{BAND_PLAIN.get(b, b)} power", "log10 uV^2") for b in (*BANDS, "total")
    }
    series["domfreq"] = ("dominant frequency", "Hz")
    for key, (name, unit) in series.items():
        out[f"{key}_trend"] = Entry(
            f"{name} trend",
            f"slope of the {name} over the 10 s sub-epochs (seizures evolve)",
            f"{unit} per sub-window",
        )
        out[f"{key}_range"] = Entry(
            f"{name} range", f"max - min of the {name} over the sub-epochs", unit
        )
    return out


def _finespec() -> dict:
    out = {
        f"logpow_{key}": Entry(
            f"{lo + 0.5:g} Hz power",
            f"power in {lo:g}-{hi:g} Hz (1 Hz bin, Welch PSD)",
            "log10 uV^2",
        )
        for key, (lo, hi) in FINE_BINS.items()
    }
    out["rhythm_hz"] = Entry(
        "dominant rhythm", "frequency of the largest excess over the 1/f line, 0.5-20 Hz", "Hz"
    )
    out["rhythm_prom"] = Entry(
        "rhythm prominence", "that excess of the log PSD over the 1/f line", "log10"
    )
    return out


SYMMETRY_TEXT = {
    "hi": ("larger side", "the larger of left and right"),
    "lo": ("smaller side", "the smaller of left and right"),
    "diff": ("left - right", "left minus right"),
    "absdiff": ("asymmetry", "|left - right|"),
}


def _symmetry() -> dict:
    quantities = {
        **{f"abspow_{b}": (f"{BAND_PLAIN.get(b, b)} power", "log10 uV^2") for b in BANDS},
        **{f"relpow_{b}": (f"{BAND_PLAIN.get(b, b)} share", "0-1") for b in BANDS},
        "rhythm_hz": ("dominant rhythm", "Hz"),
        "rhythm_prom": ("rhythm prominence", "log10"),
    }
    out = {}
    for key, (name, unit) in quantities.items():
        for encoding, (plain, measures) in SYMMETRY_TEXT.items():
            if encoding == "diff" and key.startswith("abspow"):
                continue  # laterality's lr_{band}
            out[f"{key}_{encoding}"] = Entry(f"{name}, {plain}", f"{measures} chain's {name}", unit)
    for b in BANDS:
        out[f"abspow_{b}_pairmax"] = Entry(
            f"{BAND_PLAIN.get(b, b)} pair asymmetry",
            f"largest |log10 left/right| {BAND_TEXT[b]} power over homologous derivations",
            "log10 ratio",
        )
    return out


ENTRIES: dict[str, dict[str, Entry]] = {
    "spectral": {
        **_bands("abspow_{band}", "{band} power", "band power {band} (Welch PSD)", "log10 uV^2"),
        **_bands("relpow_{band}", "{band} share", "band power {band} / total power", "0-1"),
        "ratio_theta_alpha": Entry("theta/alpha", "theta over alpha power", "log10 ratio"),
        "ratio_delta_alpha": Entry("delta/alpha", "0.5-4 Hz over alpha power", "log10 ratio"),
        "ratio_slow_fast": Entry("slow/fast", "0.5-8 Hz over 8-20 Hz power", "log10 ratio"),
        "entropy": Entry("spectral entropy", "flatness of the spectrum (1: white noise)", "0-1"),
        "sef95": Entry("edge frequency", "frequency below which 95% of the power lies", "Hz"),
        "peakfreq": Entry("peak frequency", "frequency of the largest PSD bin", "Hz"),
        "slope": Entry("1/f slope", "log-log slope of the spectrum (aperiodic)", "log10/log10"),
    },
    "temporal": {
        "activity": Entry("signal power", "variance (Hjorth activity)", "log10 uV^2"),
        "linelen": Entry("line length", "mean absolute slope", "uV/s"),
        "mobility": Entry("Hjorth mobility", "mean frequency from derivatives", "Hz"),
        "complexity": Entry("Hjorth complexity", "departure from a pure sine (1)", "ratio"),
        "zcr": Entry("zero crossings", "mean-crossings per second", "1/s"),
        "skew": Entry("skewness", "asymmetry of the amplitude distribution", "unitless"),
        "kurt": Entry("kurtosis", "excess kurtosis: spikiness, bursts", "unitless"),
        "amp_median": Entry("amplitude", "median standard deviation of 1 s blocks", "uV"),
        "amp_iqr": Entry("amplitude spread", "IQR of block SDs / their median", "ratio"),
    },
    "periodicity": {
        "acf_peak": Entry(
            "discharge regularity", "envelope autocorrelation peak, 0.3-3 Hz lags", "0-1"
        ),
        "acf_rate": Entry("discharge rate", "1 / lag of that autocorrelation peak", "Hz"),
        "peak_rate": Entry("envelope peaks", "prominent line-length envelope peaks", "1/s"),
        "peak_cv": Entry("peak irregularity", "CV of inter-peak intervals (0: regular)", "ratio"),
        "delta_prom": Entry("rhythmic delta peak", "PSD excess over 1/f fit, 0.5-3 Hz", "log10"),
        "delta_sharp": Entry("delta peak sharpness", "that excess minus its flanks", "log10"),
        "delta_hz": Entry("delta peak frequency", "frequency of the delta excess", "Hz"),
    },
    "laterality": {
        **_bands("lr_{band}", "{band} left/right", "left over right {band} power", "log10 ratio"),
        **_bands("coh_{band}", "{band} coherence", "left-right coherence {band}", "0-1"),
        "homcorr_mean": Entry(
            "left-right correlation", "mean correlation of homologous derivations", "-1..1"
        ),
        "globalcorr": Entry("global correlation", "mean |correlation| of all pairs", "0-1"),
    },
    "finespec": _finespec(),
    "symmetry": _symmetry(),
    "evolution": _evolution(),
    "quality": {
        "nanfrac": Entry("missing data", "share of samples NaN in the file", "0-1"),
        "nanchans": Entry("missing channels", "derivations mostly NaN", "count"),
        "flatfrac": Entry("flat signal", "share of 2 s blocks with SD < 0.5 uV", "0-1"),
        "flatchans": Entry("flat channels", "derivations mostly flat", "count"),
        "muscle": Entry("muscle power", "20-70 Hz power", "log10 uV^2"),
        "musclerel": Entry("muscle share", "20-70 Hz over 0.5-20 Hz power", "log10 ratio"),
        "ekg_hr": Entry("heart rate", "from EKG R peaks (0: no usable EKG)", "beats/min"),
        "ekg_rrcv": Entry("heart rate variability", "CV of RR intervals", "ratio"),
        "ekg_snr": Entry("EKG quality", "QRS peak over background", "log10"),
        "ekg_ok": Entry("EKG usable", "1 when R peaks were found", "0/1"),
        "ekgcorr": Entry("EKG artefact", "correlation of the EEG with the EKG", "-1..1"),
    },
    "spectrogram": {
        f"{stat}_{band}": Entry(
            f"spectrogram {BAND_PLAIN.get(band, band)} {stat}",
            f"{stat} over time of the Kaggle spectrogram's {BAND_TEXT[band]} power",
            "log10 power",
        )
        for stat in ("mean", "std", "min", "max")
        for band in BANDS
    },
}
"""family -> feature -> entry."""

UNIT_TEXT = {
    **{c: f"{c.upper()} chain" for c in CHAINS},
    "cz": "midline chain (Fz-Cz-Pz)",
    "ll": "left temporal chain (LL)",
    "lp": "left parasagittal chain (LP)",
    "rp": "right parasagittal chain (RP)",
    "rl": "right temporal chain (RL)",
    "temporal": "temporal (LL vs RL)",
    "parasag": "parasagittal (LP vs RP)",
    "hemi": "hemispheres",
    "all": "all derivations",
    "max": "largest over derivations",
}

SCALE_TEXT = {
    "50s": "50 s window",
    "10s": "central 10 s",
    "600s": "10 min",
    "60s": "central 1 min",
    "20s": "central 20 s",
}


def entry(column: str) -> Entry:
    """The catalogue entry of a column; a KeyError names an unknown family or feature."""
    parts = parse_column(column)
    try:
        return ENTRIES[parts.family][parts.feature]
    except KeyError:
        message = f"{column!r}: no catalogue entry for {parts.family}/{parts.feature}"
        raise KeyError(message) from None


def where(column: str) -> str:
    """Where and over what span: ``Fp1-F7, 50 s window``."""
    parts = parse_column(column)
    unit = parts.unit
    text = []
    if unit is not None:
        text.append(UNIT_TEXT.get(unit) or unit.title())
    if parts.scale is not None:
        text.append(SCALE_TEXT.get(parts.scale, parts.scale))
    return ", ".join(text)


def label(column: str) -> str:
    """Short plain label for plots: ``alpha power, Fp1-F7, 50 s window [log10 uV^2]``.

    >>> label("eeg_spectral_abspow_alpha_fp1-f7_50s")
    'alpha power, Fp1-F7, 50 s window [log10 uV^2]'
    >>> label("eeg_periodicity_acf_rate_ll_10s")
    'discharge rate, left temporal chain (LL), central 10 s [Hz]'
    """
    e = entry(column)
    place = where(column)
    return f"{e.plain}{', ' + place if place else ''} [{e.unit}]"


def catalogue_table(columns: list[str]) -> pd.DataFrame:
    """One row per family and feature present in ``columns``: plain name, what it measures,
    unit, where it is measured and the spans, the number of columns, and an example name."""
    rows: dict[tuple[str, str], dict] = {}
    for column in columns:
        parts = parse_column(column)
        e = entry(column)
        new = {"family": parts.family, "name": parts.feature, "feature": e.plain,
               "measures": e.measures, "unit": e.unit, "where": set(), "scale": set(),
               "columns": 0, "example": column}  # fmt: skip
        row = rows.setdefault((parts.family, parts.feature), new)
        row["where"].add(_where_kind(parts.unit))
        if parts.scale:
            row["scale"].add(parts.scale)
        row["columns"] += 1
    frame = pd.DataFrame(list(rows.values()))
    for key in ("where", "scale"):
        frame[key] = frame[key].map(lambda s: ", ".join(sorted(s, key=_order)))
    return frame


def _where_kind(unit: str | None) -> str:
    if unit is None:
        return "recording"
    if "-" in unit:
        return "derivation"
    if unit in CHAINS or unit in {"ll", "lp", "rp", "rl"}:
        return "chain"
    if unit in {"temporal", "parasag", "hemi"}:
        return "region"
    return unit


def _order(text: str) -> tuple:
    digits = "".join(ch for ch in text if ch.isdigit())
    return (-int(digits) if digits else 0, text)


def catalogue_markdown(columns: list[str]) -> str:
    """The catalogue as a Markdown table (the README's)."""
    frame = catalogue_table(columns).drop(columns=["example"])
    header = "| " + " | ".join(frame.columns) + " |"
    lines = [header, "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


@functools.lru_cache(maxsize=1)
def registered_columns() -> tuple[str, ...]:
    """Every column the registered families compute, in table order (from one 60 s window
    of seeded noise; about a second)."""
    from features.engine import extract_recording
    from features.windows import spectrogram_slice_rows

    rng = np.random.default_rng(0)
    raw = rng.normal(0, 20, size=(20, 60 * 200)).astype(np.float32)
    times = np.arange(1, 660, 2, dtype=float)
    power = rng.gamma(2.0, 1.0, size=(len(times), 400)).astype(np.float32)
    offsets = np.array([0.0])
    rows = spectrogram_slice_rows(times, offsets)
    columns = extract_recording(raw, offsets, spectrogram_power=power, spectrogram_rows=rows)
    return tuple(columns)


if __name__ == "__main__":
    print(catalogue_markdown(list(registered_columns())))
