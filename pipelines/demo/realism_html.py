"""The realism check as one self-contained HTML page: the figures and a spectrum plot per chain."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from pipelines.files import write_text_atomic

_W, _H, _PAD = 360, 220, 34


def _polyline(values: list[float], lo: float, hi: float, colour: str) -> str:
    """SVG polyline of ``values`` (one per 1 Hz bin, plotted at the bin centre)."""
    n = len(values)
    points = []
    for i, v in enumerate(values):
        x = _PAD + (i + 0.5) / n * (_W - 2 * _PAD)
        y = _H - _PAD - (v - lo) / max(hi - lo, 1e-9) * (_H - 2 * _PAD)
        points.append(f"{x:.1f},{y:.1f}")
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'


def spectrum_svg(chain: str, real: list[float], synthetic: list[float]) -> str:
    """One chain's median log10 power per 1 Hz bin, real (black) and synthetic (orange)."""
    both = np.r_[real, synthetic]
    lo, hi = float(np.floor(both.min())), float(np.ceil(both.max()))
    n = len(real)
    ticks = "".join(
        f'<text x="{_PAD + f / n * (_W - 2 * _PAD):.0f}" y="{_H - 12}" font-size="10" '
        f'text-anchor="middle">{f}</text>'
        for f in range(0, n + 1, 10)
    )
    return (
        f'<svg width="{_W}" height="{_H}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="{_PAD}" y="{_PAD}" width="{_W - 2 * _PAD}" height="{_H - 2 * _PAD}" '
        'fill="none" stroke="#ccc"/>'
        f'<text x="{_PAD}" y="20" font-size="12">{html.escape(chain)}: log10 uV^2/Hz '
        f"({lo:g} to {hi:g}) vs Hz</text>{ticks}"
        f"{_polyline(real, lo, hi, 'black')}{_polyline(synthetic, lo, hi, '#e07000')}</svg>"
    )


def write_html(report: dict, text: str, path: Path) -> None:
    """Write the report (``realism.compare_folders``) and its text (``realism.format_report``)
    as an HTML page at ``path``."""
    plots = "".join(
        spectrum_svg(chain, s["real"], s["synthetic"]) for chain, s in report["spectra"].items()
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>demo realism</title></head>"
        "<body><h1>Demo data vs real EEG</h1>"
        f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>"  # long spectra lines wrap
        "<h2>Median log power per 1 Hz bin (black real, orange synthetic)</h2>"
        f"<div>{plots}</div></body></html>"
    )
    write_text_atomic(Path(path), page)
