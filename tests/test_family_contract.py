"""The contract every EEG feature family keeps, checked once for each family in the registry:
a recording's windows equal the same windows cut beforehand, windows computed together equal
windows computed alone, float32/float64 and read-only inputs work, and names follow the schema
with one finite value per window."""

from __future__ import annotations

import numpy as np
import pytest

from features.context import WindowSet
from features.naming import parse_column
from features.registry import FAMILIES
from features.windows import apply_nan_policy, cut_eeg_windows

SFREQ = 200.0
OFFSETS = np.array([0.0, 2.0, 16.0, 40.0, 70.0])
EEG_FAMILIES = [f for f in FAMILIES if f.source == "eeg"]

# Columns that depend on events near a window's edges (envelope peaks, R peaks; see the family
# modules' docstrings): a window cut alone and the same stretch of a recording may differ by an
# edge event. Keyed by (family, feature).
EDGE_TOLERANCE = {
    ("periodicity", "peak_rate"): 0.1,
    ("periodicity", "peak_cv"): 0.1,
    ("quality", "ekg_hr"): 1.0,
    ("quality", "ekg_rrcv"): 0.02,
    ("quality", "ekg_snr"): 0.02,
    ("quality", "ekg_ok"): 0.0,
}
ALONE_RTOL = {"temporal": 1e-12}
"""Relative tolerance of windows computed together vs alone (default 1e-6)."""


def _discharges(t: np.ndarray, times: np.ndarray, amplitude: float = 150.0) -> np.ndarray:
    lag = t[None, :] - times[:, None]
    spike = np.exp(-(lag**2) / (2 * 0.015**2)) - 0.3 * np.exp(-((lag - 0.08) ** 2) / (2 * 0.04**2))
    return amplitude * spike.sum(axis=0)


def _recording(seed: int, seconds: int = 120):
    """Drifting EEG with offsets, a burst, irregular discharges on every other derivation, NaN
    runs (policy applied), a dead derivation, and an EKG at 72 bpm."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SFREQ)
    t = np.arange(n) / SFREQ
    raw = np.cumsum(rng.normal(0, 2, (18, n)), axis=1) + rng.normal(0, 8, (18, n))
    raw += rng.uniform(-300, 300, (18, 1))
    raw[4, 3000:3400] += 200 * np.sin(2 * np.pi * 3 * np.arange(400) / SFREQ)
    times = np.cumsum(rng.uniform(0.4, 1.4, 200))
    raw[::2] += _discharges(t, times[times < seconds - 1])
    raw[2, 5000:5100] = np.nan
    raw[7, 9000:12_000] = np.nan
    raw[11] = np.nan
    clean = apply_nan_policy(raw, sfreq=SFREQ)
    period = 60.0 / 72.0
    ekg = 800.0 * np.exp(-(((t % period) - period / 2) ** 2) / (2 * 0.012**2))
    ekg = (ekg + rng.normal(0, 20, n)).astype(np.float32)
    return clean.x.astype(np.float32), ekg, clean.nan_mask


def _cut(eeg, ekg, mask, offsets) -> WindowSet:
    return WindowSet.from_windows(
        cut_eeg_windows(eeg, offsets),
        sfreq=SFREQ,
        ekg=cut_eeg_windows(ekg[None], offsets)[:, 0],
        nan_mask=cut_eeg_windows(mask, offsets),
    )


def _from_recording(eeg, ekg, mask) -> WindowSet:
    starts = (OFFSETS * SFREQ).astype(int)
    return WindowSet.from_recording(eeg, ekg, mask, starts, sfreq=SFREQ)


@pytest.fixture(params=EEG_FAMILIES, ids=lambda f: f.name)
def family(request):
    return request.param


def test_recording_equals_cut_windows(family):
    eeg, ekg, mask = _recording(seed=0)
    a = family.compute(_from_recording(eeg, ekg, mask))
    b = family.compute(_cut(eeg, ekg, mask, OFFSETS))
    assert a.keys() == b.keys()
    for name in a:
        atol = EDGE_TOLERANCE.get((family.name, parse_column(name).feature), 1e-5)
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=atol, err_msg=name)


def test_vectorised_equals_one_window_at_a_time(family):
    eeg, ekg, mask = _recording(seed=1)
    offsets = OFFSETS[:3]
    together = family.compute(_cut(eeg, ekg, mask, offsets))
    rtol = ALONE_RTOL.get(family.name, 1e-6)
    for i in range(len(offsets)):
        alone = family.compute(_cut(eeg, ekg, mask, offsets[i : i + 1]))
        assert alone.keys() == together.keys()
        for name, value in alone.items():
            np.testing.assert_allclose(together[name][i], value[0], rtol=rtol, err_msg=name)


def test_float32_float64_and_read_only_inputs(family):
    eeg, ekg, mask = _recording(seed=2)
    for array in (eeg, ekg, mask):
        array.setflags(write=False)
    a = family.compute(_from_recording(eeg, ekg, mask))
    b = family.compute(_from_recording(eeg.astype(np.float64), ekg.astype(np.float64), mask))
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-5, err_msg=name)
    windows = cut_eeg_windows(eeg, OFFSETS)
    windows.setflags(write=False)
    family.compute(WindowSet.from_windows(windows, sfreq=SFREQ))


def test_names_follow_the_schema_with_one_finite_value_per_window(family):
    eeg, ekg, mask = _recording(seed=3)
    windows = cut_eeg_windows(eeg, OFFSETS)
    windows[1] = 0.0  # an all-zero window
    ekgs = cut_eeg_windows(ekg[None], OFFSETS)[:, 0]
    ekgs[2] = 0.0
    masks = cut_eeg_windows(mask, OFFSETS)
    cols = family.compute(WindowSet.from_windows(windows, sfreq=SFREQ, ekg=ekgs, nan_mask=masks))
    assert cols and len(set(cols)) == len(cols)
    for name, value in cols.items():
        parts = parse_column(name)
        assert name == name.lower() and parts.name == name
        assert (parts.source, parts.family) == ("eeg", family.name)
        assert parts.scale in ("50s", "10s")
        assert value.shape == (len(OFFSETS),)
        assert np.all(np.isfinite(value)), name
