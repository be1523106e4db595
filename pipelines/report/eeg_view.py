"""The EEG of one label window as a reader of EEG expects it: 10 s per screen width (the
labelled centre first, the rest of the 50 s window one click away), the double banana with a
gap between chains, one fixed gain stated on the page with a scale bar, and the EKG."""

from __future__ import annotations

import numpy as np

from features.montage import BIPOLAR_NAMES, CHAINS, SFREQ
from features.windows import CENTRE_SEC, EEG_WINDOW_SEC, clean_bipolar
from pipelines.report.html import Html, join, render
from pipelines.report.plots import figure_html, pyplot

GAIN_UV = 100.0
"""Microvolts per trace spacing (a fixed sensitivity, as in a clinical viewer)."""
EKG_GAIN_UV = 500.0
CLIP_SPACINGS = 1.5
"""Traces are clipped this many spacings from their baseline, so they never cover the next."""
PAGE_SEC = 10.0


def trace_layout() -> tuple[list[str], np.ndarray]:
    """Trace names (18 derivations, then EKG) and their baselines (one gap between chains)."""
    names, baselines, y = [], [], 0.0
    for chain in CHAINS.values():
        for a, b in chain:
            names.append(f"{a}-{b}")
            baselines.append(y)
            y -= 1.0
        y -= 0.8  # the gap between chains
    names.append("EKG")
    baselines.append(y)
    return names, np.array(baselines)


def window_traces(raw: np.ndarray, offset_sec: float) -> np.ndarray:
    """(19, 10_000) microvolts: the 18 bipolar derivations then the EKG, of the 50 s window
    at ``offset_sec``, cleaned as the features see them (``clean_bipolar``); short recordings
    are padded with NaN."""
    start = int(round(offset_sec * SFREQ))
    n = int(EEG_WINDOW_SEC * SFREQ)
    clean = clean_bipolar(raw)
    bipolar = clean.eeg[:, start : start + n]
    ekg = clean.ekg[start : start + n].astype(np.float64)
    out = np.full((len(BIPOLAR_NAMES) + 1, n), np.nan)
    out[:-1, : bipolar.shape[1]] = bipolar
    out[-1, : ekg.shape[0]] = ekg - np.median(ekg) if ekg.size else ekg
    return out


def _page_figure(traces: np.ndarray, t0: float, title: str) -> Html:
    plt = pyplot()
    names, baselines = trace_layout()
    lo, hi = int(t0 * SFREQ), int((t0 + PAGE_SEC) * SFREQ)
    t = np.arange(lo, hi) / SFREQ
    fig, ax = plt.subplots(figsize=(15, 8.5))
    for i, (name, base) in enumerate(zip(names, baselines, strict=True)):
        gain = EKG_GAIN_UV if name == "EKG" else GAIN_UV
        y = np.clip(traces[i, lo:hi] / gain, -CLIP_SPACINGS, CLIP_SPACINGS)
        ax.plot(t, y + base, lw=0.6, color="#b22222" if name == "EKG" else "#111")
    centre = (EEG_WINDOW_SEC - CENTRE_SEC) / 2
    ax.axvspan(centre, centre + CENTRE_SEC, color="#ffd54f", alpha=0.25, lw=0)
    for second in np.arange(np.ceil(t0), t0 + PAGE_SEC + 0.01):
        ax.axvline(second, color="#ccc", lw=0.5, zorder=0)
    _scale_bar(ax, t0 + PAGE_SEC - 0.6, baselines[-1] + 0.6)
    ax.set_yticks(baselines, names, fontsize=10)
    ax.set_xlim(t0, t0 + PAGE_SEC)
    ax.set_ylim(baselines[-1] - 1.2, 1.2)
    ax.set_xlabel("time in the 50 s window (s)", fontsize=11)
    ax.set_title(title, fontsize=12)
    ax.tick_params(axis="x", labelsize=10)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return figure_html(fig, f"EEG {t0:g}-{t0 + PAGE_SEC:g} s")


def _scale_bar(ax, x: float, y: float) -> None:
    ax.plot([x, x], [y, y + 1.0], color="#1f4e9c", lw=2)
    ax.plot([x, x + 0.5], [y, y], color="#1f4e9c", lw=2)
    ax.text(x - 0.05, y + 0.5, f"{GAIN_UV:g} uV", ha="right", va="center", fontsize=10,
            color="#1f4e9c")  # fmt: skip
    ax.text(x + 0.25, y - 0.15, "0.5 s", ha="center", va="top", fontsize=10, color="#1f4e9c")


def eeg_view(raw: np.ndarray, offset_sec: float, eeg_id: int) -> Html:
    """The 50 s window as five 10 s pages: the labelled centre open, the others folded.

    Parameters
    ----------
    raw : array, shape (20, n_samples), the EEG file (19 channels then EKG), microvolts
    offset_sec : the window's start in the recording, seconds
    """
    traces = window_traces(raw, offset_sec)
    centre = (EEG_WINDOW_SEC - CENTRE_SEC) / 2
    note = render(
        "<p class='note'>Bipolar double banana, chains separated (LL, LP, RP, RL, midline), "
        "then the EKG (red). Gain fixed for every recording: {g:g} uV per trace spacing (EKG "
        "{e:g} uV), scale bar bottom right; traces clipped at {c:g} spacings. Grid lines every "
        "second; the labelled 10 s are shaded. Each page is 10 s wide.</p>",
        g=GAIN_UV,
        e=EKG_GAIN_UV,
        c=CLIP_SPACINGS,
    )
    pages = []
    for t0 in np.arange(0, EEG_WINDOW_SEC, PAGE_SEC):
        labelled = abs(t0 - centre) < 1e-9
        span = f"{t0:g}-{t0 + PAGE_SEC:g} s (recording {offset_sec + t0:g} s)"
        title = f"EEG {eeg_id}, {span}{': the labelled 10 s' if labelled else ''}"
        pages.append(
            render(
                "<details{open}><summary>{span}{what}</summary>{fig}</details>",
                open=Html(" open") if labelled else Html(""),
                span=span,
                what=" (labelled)" if labelled else "",
                fig=_page_figure(traces, t0, title),
            )
        )
    return join([note, *pages])
