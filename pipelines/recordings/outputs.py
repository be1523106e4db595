"""A recording's annotation as files: timeline table, summary, annotations, HTML trend page.

``write_outputs`` fills ``W/annotations/{recording}/`` with ``timeline.parquet`` and
``timeline.csv``, ``summary.json``, ``annotations.txt`` (runs of each pattern above a
threshold, in MNE's annotation text format: ``mne.read_annotations`` reads it and EDFbrowser
imports it as ASCII/CSV, comma separated, after 2 header lines), ``file_annotations.csv`` (the
recording's own annotations) and ``index.html`` (self-contained). ``summary.json`` is written
last: its presence marks a finished recording.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import mne
import numpy as np
import pandas as pd

from models.labels import CLASSES
from pipelines.files import write_atomic, write_text_atomic
from pipelines.recordings.annotate import PATTERN_COLUMNS, Annotation

RUN_THRESHOLD = 0.5
"""A pattern's run, in the annotations file, is consecutive windows with its probability at
least this."""

BURDEN_HOUR_SEC = 3600.0
HTML_NAME = "index.html"
SUMMARY_NAME = "summary.json"


def pattern_runs(timeline: pd.DataFrame, mask: np.ndarray) -> list[tuple[float, float]]:
    """(start_sec, end_sec) of each run of consecutive timeline rows where ``mask`` holds.

    >>> t = pd.DataFrame({"start_sec": [20.0, 30, 40, 50], "end_sec": [30.0, 40, 50, 60]})
    >>> pattern_runs(t, np.array([True, True, False, True]))
    [(20.0, 40.0), (50.0, 60.0)]
    """
    edges = np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0])))
    firsts, lasts = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    starts, ends = timeline["start_sec"].to_numpy(), timeline["end_sec"].to_numpy()
    return [(float(starts[a]), float(ends[b])) for a, b in zip(firsts, lasts, strict=True)]


def summarise(annotation: Annotation, *, step_sec: float) -> dict:
    """The numbers of ``summary.json``: duration, share of time per pattern (as the most likely
    pattern), seizure burden (the largest share of seizure in any hour from the start), and
    per pattern the longest run and the first onset (seconds from the recording's start)."""
    t = annotation.timeline
    best = t["pattern"].to_numpy()
    patterns = {}
    for c in CLASSES:
        runs = pattern_runs(t, best == c)
        longest = max((e - s for s, e in runs), default=0.0)
        patterns[c] = {
            "share": float(np.mean(best == c)),
            "longest_run_sec": float(longest),
            "first_onset_sec": runs[0][0] if runs else None,
            "n_runs": len(runs),
        }
    hours = (t["start_sec"].to_numpy() // BURDEN_HOUR_SEC).astype(int)
    seizure = pd.Series(best == "seizure").groupby(hours).mean()
    return {
        "recording": annotation.name,
        "duration_sec": round(annotation.duration_sec, 3),
        "n_windows": len(t),
        "step_sec": step_sec,
        "covered_sec": [float(t["start_sec"].min()), float(t["end_sec"].max())],
        "patterns": patterns,
        "seizure_burden": {
            "max_hourly_share": float(seizure.max()),
            "hour": int(seizure.idxmax()),
        },
        "quality": {
            "mean_nan_share": float(t["nan_share"].mean()),
            "windows_with_flat_channels": int((t["flat_channels"] > 0).sum()),
            "missing_channels": annotation.missing_channels,
        },
        "n_file_annotations": len(annotation.file_annotations),
        "seconds": round(annotation.seconds, 2),
    }


def run_annotations(timeline: pd.DataFrame, threshold: float = RUN_THRESHOLD) -> mne.Annotations:
    """Runs of each pattern (not ``other``) whose probability is at least ``threshold``."""
    onset, duration, description = [], [], []
    for c, column in zip(CLASSES, PATTERN_COLUMNS, strict=True):
        if c == "other":
            continue
        probs = timeline[column].to_numpy()
        for s, e in pattern_runs(timeline, probs >= threshold):
            inside = (timeline["start_sec"] >= s) & (timeline["end_sec"] <= e)
            onset.append(s)
            duration.append(e - s)
            description.append(f"hms {c} (max p {probs[inside.to_numpy()].max():.2f})")
    order = np.argsort(onset, kind="stable")
    return mne.Annotations(
        np.asarray(onset, dtype=float)[order],
        np.asarray(duration, dtype=float)[order],
        np.asarray(description, dtype=object)[order] if description else [],
    )


def _figure_img(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="timeline" src="data:image/png;base64,{data}">'


def _trend_figure(annotation: Annotation):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = annotation.timeline
    hours = annotation.duration_sec > 7200
    unit, scale = ("h", 3600.0) if hours else ("min", 60.0)
    x = (t["start_sec"].to_numpy() + t["end_sec"].to_numpy()) / 2 / scale
    fig, axes = plt.subplots(
        len(CLASSES) + 2,
        1,
        figsize=(12, 10),
        sharex=True,
        gridspec_kw={"height_ratios": [1] * len(CLASSES) + [3, 1.2]},
    )
    for ax, c, column in zip(axes, CLASSES, PATTERN_COLUMNS, strict=False):
        ax.fill_between(
            x, t[column].to_numpy(), step="mid", color="tab:red" if c == "seizure" else "tab:blue"
        )
        ax.set_ylim(0, 1)
        ax.set_ylabel(c, rotation=0, ha="right")
    spec = axes[len(CLASSES)]
    extent = (x[0], x[-1], annotation.trend_freqs_hz[0], annotation.trend_freqs_hz[-1])
    spec.imshow(annotation.trend.T, aspect="auto", origin="lower", extent=extent, cmap="magma")
    spec.set_ylabel("Hz (log power)")
    quality = axes[-1]
    quality.plot(x, t["nan_share"], label="NaN share")
    quality.plot(x, t["flat_channels"] / 18, label="flat channels / 18")
    quality.set_ylim(0, 1)
    quality.legend(loc="upper right", fontsize=7)
    quality.set_xlabel(f"time from the start ({unit})")
    fig.subplots_adjust(hspace=0.15)
    html_img = _figure_img(fig)
    plt.close(fig)
    return html_img


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def html_page(annotation: Annotation, summary: dict) -> str:
    """One self-contained page: the summary, then probability tracks over a compressed
    spectrogram and a quality track."""
    rows = "".join(
        f"<tr><td>{html.escape(c)}</td><td>{p['share']:.1%}</td>"
        f"<td>{p['longest_run_sec']:.0f}</td><td>{_seconds(p['first_onset_sec'])}</td></tr>"
        for c, p in summary["patterns"].items()
    )
    burden = summary["seizure_burden"]
    missing = ", ".join(summary["quality"]["missing_channels"]) or "none"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>hms annotate: {html.escape(annotation.name)}</title>"
        "<style>body{font-family:sans-serif;margin:1em}td,th{padding:2px 8px}</style>"
        f"</head><body><h1>{html.escape(annotation.name)}</h1>"
        f"<p>{summary['duration_sec'] / 3600:.2f} h, {summary['n_windows']} windows every "
        f"{summary['step_sec']:g} s; seizure burden {burden['max_hourly_share']:.1%} (hour "
        f"{burden['hour']}); missing channels: {html.escape(missing)}.</p>"
        "<table><tr><th>pattern</th><th>share of time</th><th>longest run (s)</th>"
        f"<th>first onset (s)</th></tr>{rows}</table>"
        f"{_trend_figure(annotation)}</body></html>"
    )


def write_outputs(
    annotation: Annotation, out_dir: Path, *, step_sec: float, model: Path | None = None
) -> dict:
    """Write every output of one recording into ``out_dir``; returns the summary."""
    out_dir = Path(out_dir)
    t = annotation.timeline
    write_atomic(out_dir / "timeline.parquet", lambda tmp: t.to_parquet(tmp, index=False))
    write_atomic(out_dir / "timeline.csv", lambda tmp: t.to_csv(tmp, index=False))
    write_atomic(
        out_dir / "file_annotations.csv",
        lambda tmp: annotation.file_annotations.to_csv(tmp, index=False),
    )
    runs = run_annotations(t)
    write_atomic(out_dir / "annotations.txt", lambda tmp: _save_annotations(runs, tmp))
    summary = summarise(annotation, step_sec=step_sec)
    summary["model"] = None if model is None else str(model)
    write_text_atomic(out_dir / HTML_NAME, html_page(annotation, summary))
    write_text_atomic(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2))
    return summary


def _save_annotations(annotations: mne.Annotations, tmp: Path) -> None:
    # MNE picks the format from the extension, so save under .txt and move into place.
    target = tmp.with_name(tmp.name + ".txt")
    annotations.save(target, overwrite=True, verbose="error")
    target.replace(tmp)
