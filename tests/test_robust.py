"""The robust family: a bad electrode or a short burst does not set a chain's band power."""

from __future__ import annotations

import numpy as np
import pytest

from features.context import WindowSet
from features.families import robust, spectral
from features.montage import BIPOLAR_NAMES, EEG_CHANNELS, to_bipolar

SFREQ = 200.0
N = int(50 * SFREQ)


def _background(seed: int = 0) -> np.ndarray:
    """Referential pink-ish noise, about 20 uV per channel, with a shared part."""
    rng = np.random.default_rng(seed)
    spectrum = rng.standard_normal((20, N // 2 + 1)) + 1j * rng.standard_normal((20, N // 2 + 1))
    freqs = np.fft.rfftfreq(N, 1 / SFREQ)
    spectrum *= 1.0 / np.maximum(freqs, 0.5)
    x = np.fft.irfft(spectrum, n=N)
    x = 20.0 * x / x.std(axis=1, keepdims=True)
    return 0.5 * x[:19] + 0.5 * x[19]


def _columns(referential: np.ndarray) -> dict[str, float]:
    ws = WindowSet.from_windows(to_bipolar(referential)[None].astype(np.float32), sfreq=SFREQ)
    out = {**robust.compute(ws), **spectral.compute(ws)}
    return {k: float(v[0]) for k, v in out.items()}


def test_a_drifting_electrode_does_not_set_its_chains_power():
    clean = _background()
    bad = clean.copy()
    t = np.arange(N) / SFREQ
    bad[EEG_CHANNELS.index("T3")] += 1600.0 * np.sin(2 * np.pi * 0.7 * t)  # a 1.6 mV drift
    before, after = _columns(clean), _columns(bad)
    # the plain chain mean takes the drift in (F7-T3 and T3-T5 are two of LL's four)
    jump = after["eeg_spectral_abspow_delta_ll_50s"] - before["eeg_spectral_abspow_delta_ll_50s"]
    assert jump > 2.0
    # the robust one leaves both derivations out: what is left is the other two, clean
    moved = after["eeg_robust_logpow_delta_ll_50s"] - before["eeg_robust_logpow_delta_ll_50s"]
    assert abs(moved) < 0.3
    assert after["eeg_robust_nloud_all_50s"] == 2.0 and before["eeg_robust_nbad_all_50s"] == 0.0
    assert after["eeg_robust_nbad_ll_50s"] == 2.0 and after["eeg_robust_nbad_rl_50s"] == 0.0


def test_a_short_burst_moves_the_median_little_and_shows_as_burstiness():
    clean = _background(1)
    burst = clean.copy()
    rng = np.random.default_rng(2)
    start = int(20 * SFREQ)
    burst[:, start : start + int(2 * SFREQ)] += 400.0 * rng.standard_normal((19, int(2 * SFREQ)))
    before, after = _columns(clean), _columns(burst)
    for chain in ("ll", "rl", "cz"):
        mean_jump = (
            after[f"eeg_spectral_abspow_theta_{chain}_50s"]
            - before[f"eeg_spectral_abspow_theta_{chain}_50s"]
        )
        median_jump = (
            after[f"eeg_robust_logpow_theta_{chain}_50s"]
            - before[f"eeg_robust_logpow_theta_{chain}_50s"]
        )
        assert mean_jump > 1.0 and abs(median_jump) < 0.25
        assert (
            after[f"eeg_robust_burst_{chain}_50s"] > before[f"eeg_robust_burst_{chain}_50s"] + 1.0
        )


def test_masks_by_kind():
    x = _background(3)
    t = np.arange(N) / SFREQ
    x[EEG_CHANNELS.index("O2")] = 0.0  # flat electrode: ... its two derivations are not flat
    x[EEG_CHANNELS.index("Fp1")] += 200.0 * np.sin(2 * np.pi * 60.0 * t)  # mains on Fp1
    ws = WindowSet.from_windows(to_bipolar(x)[None].astype(np.float32), sfreq=SFREQ)
    median = np.median(ws.segment_values("t", robust._segment_band_power), axis=-2)
    masks = robust.derivation_masks(median[0])
    mains = {BIPOLAR_NAMES[i] for i in np.flatnonzero(masks["mains"])}
    assert mains == {"fp1-f7", "fp1-f3"}
    assert not masks["flat"].any()  # a bipolar derivation with one live electrode is live
    flat = np.zeros_like(x)
    ws = WindowSet.from_windows(to_bipolar(flat)[None].astype(np.float32), sfreq=SFREQ)
    out = robust.compute(ws)
    assert out["eeg_robust_nflat_all_50s"][0] == 18.0
    assert all(np.isfinite(v).all() for v in out.values())


def test_segment_values_take_the_segments_inside_a_span():
    x = np.zeros((3, 18, N), dtype=np.float32)
    ws = WindowSet.from_windows(x, sfreq=SFREQ)
    values = ws.segment_values(
        "n", lambda w: np.arange(24.0)[None, None, :, None] * np.ones((3, 18, 24, 1))
    )
    assert values.shape == (3, 18, 24, 1)
    centre = ws.segment_values("n", lambda w: None, (20.0, 30.0))  # cached: the same array
    assert centre[0, 0, :, 0].tolist() == [10.0, 11.0, 12.0, 13.0]


@pytest.mark.parametrize("kind", robust.MASK_KINDS)
def test_every_mask_kind_has_a_count_column(kind):
    ws = WindowSet.from_windows(to_bipolar(_background(4))[None].astype(np.float32), sfreq=SFREQ)
    assert f"eeg_robust_n{kind}_all_50s" in robust.compute(ws)
