"""Hemisphere-symmetric encodings: lateralized (LPD, LRDA) versus generalized in one split.

A tree needs two splits to say "one side is high, whichever side": one on the left value and
one on the right. For each left/right pair (LL with RL, LP with RP) of chain quantities this
family gives the larger and the smaller value (symmetric in left and right), the signed
difference (left minus right) and the absolute difference; and per band the largest absolute
log ratio over the region's homologous derivations (Fp1-F7 with Fp2-F8, ...), for a focus
that only one pair sees. The inputs are the shared Welch PSDs (``WindowSet.psd``), so the
family depends on no other family's output.

Log band powers get no signed difference: that is ``laterality``'s ``lr_{band}`` already.
"""

from __future__ import annotations

import numpy as np

from features.bands import BANDS, LOG_FLOOR, TOTAL_BAND, band_weights
from features.context import SCALES, WindowSet
from features.families.finespec import dominant_rhythm
from features.families.laterality import homologous_pairs
from features.montage import CHAINS, REGIONS, chain_mean
from features.naming import column_name

VERSION = "1"

ENCODINGS = ("hi", "lo", "diff", "absdiff")
"""max(L, R), min(L, R), L - R, |L - R|."""


def symmetric_pair(left: np.ndarray, right: np.ndarray) -> dict[str, np.ndarray]:
    """The encodings of a left/right pair of arrays (same shape): {encoding: array}.

    >>> {k: float(v) for k, v in symmetric_pair(np.array(3.0), np.array(1.0)).items()}
    {'hi': 3.0, 'lo': 1.0, 'diff': 2.0, 'absdiff': 2.0}
    """
    diff = left - right
    return {
        "hi": np.maximum(left, right),
        "lo": np.minimum(left, right),
        "diff": diff,
        "absdiff": np.abs(diff),
    }


def compute(ws: WindowSet) -> dict[str, np.ndarray]:
    """Symmetric left/right columns for every window of ``ws``: {name: (n_windows,)}."""
    out: dict[str, np.ndarray] = {}
    freqs = ws.freqs
    chain_index = {chain: j for j, chain in enumerate(CHAINS)}
    left_pairs, right_pairs = homologous_pairs()
    weights = band_weights(freqs, {**BANDS, "total": TOTAL_BAND})
    for scale, span in SCALES.items():
        psd = ws.psd(span)  # (n_windows, 18, n_freqs)
        powers = psd @ weights  # (n_windows, 18, n_bands + 1), linear in the PSD
        chain_powers = chain_mean(powers, axis=-2)  # (n_windows, 5, n_bands + 1)
        abspow = np.log10(chain_powers[..., :-1] + LOG_FLOOR)
        total = chain_powers[..., -1:]
        relpow = np.divide(
            chain_powers[..., :-1], total, out=np.zeros_like(abspow), where=total > 0
        )
        peak_hz, prominence = dominant_rhythm(chain_mean(psd, axis=-2), freqs)
        log_channel = np.log10(powers[..., :-1] + LOG_FLOOR)  # (n_windows, 18, n_bands)
        for region, (lc, rc) in REGIONS.items():
            li, ri = chain_index[lc], chain_index[rc]
            quantities: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for b, band in enumerate(BANDS):
                quantities[f"abspow_{band}"] = (abspow[:, li, b], abspow[:, ri, b])
                quantities[f"relpow_{band}"] = (relpow[:, li, b], relpow[:, ri, b])
            quantities["rhythm_hz"] = (peak_hz[:, li], peak_hz[:, ri])
            quantities["rhythm_prom"] = (prominence[:, li], prominence[:, ri])
            for feature, (left, right) in quantities.items():
                for encoding, value in symmetric_pair(left, right).items():
                    if encoding != "diff" or not feature.startswith("abspow"):
                        feature_name = f"{feature}_{encoding}"
                        out[column_name("eeg", "symmetry", feature_name, region, scale)] = value
            pair_ratio = np.abs(
                log_channel[:, left_pairs[region]] - log_channel[:, right_pairs[region]]
            ).max(axis=1)  # (n_windows, n_bands)
            for b, band in enumerate(BANDS):
                name = column_name("eeg", "symmetry", f"abspow_{band}_pairmax", region, scale)
                out[name] = pair_ratio[:, b]
    return out
