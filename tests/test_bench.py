"""The benchmark's subset is the production computation restricted to the subset."""

import numpy as np

from features.bands import BANDS, band_matrix
from features.context import WindowSet
from features.families.spectral import spectral_entropy
from features.families.temporal import moment_features, span_moments
from features.montage import SFREQ
from features.windows import window_starts
from pipelines.bench import ours_subset


def test_subset_equals_the_families_computation():
    rng = np.random.default_rng(2)
    t = np.arange(90 * int(SFREQ)) / SFREQ
    eeg = (rng.normal(0, 10, (18, t.size)) + 20 * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    mask = np.zeros(eeg.shape, dtype=bool)
    offsets = np.array([0.0, 10.0, 38.0])
    got = ours_subset(eeg, mask, offsets)

    ws = WindowSet.from_recording(eeg, eeg[0], mask, window_starts(offsets), sfreq=SFREQ)
    psd = ws.psd()
    moments = moment_features(span_moments(ws, (0.0, 50.0)), sfreq=SFREQ)
    want = np.concatenate(
        [
            psd @ band_matrix(ws.freqs, BANDS),
            spectral_entropy(psd, ws.freqs)[..., None],
            *(moments[k][..., None] for k in ("mobility", "complexity", "linelen")),
        ],
        axis=-1,
    )
    assert got.shape == (3, 18, len(BANDS) + 4)
    np.testing.assert_allclose(got, want, rtol=1e-6)
