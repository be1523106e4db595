"""The report's feature section: importance per model, SHAP per class, where on the scalp
the important per-derivation features sit, class-wise distributions of the top features, and
the glossary (the feature catalogue)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import catalogue_table, entry, label
from models.explain import importance, shap_values
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.report.html import Html, join, render, table_html
from pipelines.report.inputs import ReportInputs
from pipelines.report.plots import (
    CLASS_COLORS,
    CLASS_LABELS,
    class_names,
    derivation_values,
    draw_scalp,
    figure_html,
    pyplot,
)


def _importance_figure(imp: dict[str, pd.Series]) -> Html:
    plt = pyplot()
    fig, axes = plt.subplots(len(imp), 1, figsize=(12, 6.5 * len(imp)), squeeze=False)
    for ax, (name, series) in zip(axes[:, 0], imp.items(), strict=True):
        top = series.sort_values().tail(15)
        ax.barh(range(len(top)), top.to_numpy(), color="#4c72b0")
        ax.set_yticks(range(len(top)), [label(c) for c in top.index], fontsize=10)
        ax.set_title(f"{name}: importance (share of the model's total)", fontsize=12)
        ax.set_xlabel("share of total importance", fontsize=10)
    return figure_html(fig, "feature importance")


def _shap_figure(mean_abs: np.ndarray, columns: list[str]) -> Html:
    plt = pyplot()
    fig, axes = plt.subplots(6, 1, figsize=(12, 24))
    for k, (ax, c) in enumerate(zip(axes, CLASSES, strict=True)):
        top = np.argsort(mean_abs[k])[-8:]
        ax.barh(range(len(top)), mean_abs[k, top], color=CLASS_COLORS[c])
        ax.set_yticks(range(len(top)), [label(columns[i]) for i in top], fontsize=10)
        ax.set_title(f"{CLASS_LABELS[c]}: mean |SHAP|", fontsize=12, color=CLASS_COLORS[c])
        ax.set_xlabel("mean |SHAP| (LightGBM raw score)", fontsize=10)
    return figure_html(fig, "SHAP per class")


def _scalp_figure(mean_abs: np.ndarray, columns: list[str]) -> Html:
    import matplotlib as mpl

    plt = pyplot()
    per_class = np.stack([derivation_values(pd.Series(v, index=columns)) for v in mean_abs])
    norm = mpl.colors.Normalize(0, max(float(per_class.max()), 1e-12))
    cmap = mpl.colormaps["Reds"]
    fig, axes = plt.subplots(2, 3, figsize=(14, 9.5))
    for ax, values, c in zip(axes.ravel(), per_class, CLASSES, strict=True):
        draw_scalp(ax, values, norm, cmap)
        ax.set_title(CLASS_LABELS[c], color=CLASS_COLORS[c], fontsize=13)
    bar = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, fraction=0.025, pad=0.02
    )
    bar.set_label("summed mean |SHAP|", fontsize=10)
    return figure_html(fig, "scalp maps per class", tight=False)


def _distributions_figure(table: pd.DataFrame, ranked) -> Html:
    plt = pyplot()
    consensus = table[list(VOTE_COLUMNS)].to_numpy().argmax(axis=1)
    fig, axes = plt.subplots(3, 2, figsize=(15, 12))
    for ax, name in zip(axes.ravel(), ranked, strict=False):
        data = [table[name].to_numpy()[consensus == k] for k in range(6)]
        box = ax.boxplot(data, patch_artist=True, showfliers=False)
        for patch, c in zip(box["boxes"], CLASSES, strict=True):
            patch.set_facecolor(CLASS_COLORS[c])
        ax.set_xticks(range(1, 7), class_names(), fontsize=10)
        e = entry(name)
        ax.set_title(label(name).rsplit(" [", 1)[0], fontsize=11)
        ax.set_ylabel(e.unit, fontsize=10)
    return figure_html(fig, "top feature distributions by class")


def glossary_section(columns: list[str]) -> Html:
    """The feature catalogue of the bundle's columns."""
    frame = catalogue_table(columns).drop(columns=["example"])
    return join(
        [
            Html(
                "<h2 id='glossary'>Glossary: the features</h2><p class='note'>Every feature "
                "column is <code>{source}_{family}_{name}_{where}_{span}</code>; the plots use "
                "the plain names below. Where: a bipolar derivation (e.g. Fp1-F7), a chain "
                "(mean of its derivations), a left/right region, or the whole recording.</p>"
            ),
            table_html(frame, text=True),
        ]
    )


def features_section(inputs: ReportInputs, n_rows: int = 600, seed: int = 0) -> Html:
    bundle, columns = inputs.bundle, inputs.columns
    imp = importance(bundle, columns)
    parts = [
        Html("<h2 id='features'>Features</h2><h3>Importance per model</h3>"),
        _importance_figure(imp),
    ]
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(inputs.table), size=min(n_rows, len(inputs.table)), replace=False)
    X = inputs.table[columns].to_numpy(dtype=np.float32)[np.sort(rows)]
    shap = shap_values(bundle, X)
    if shap is not None:
        mean_abs = np.abs(shap).mean(axis=0)  # (classes, features)
        parts.append(
            render(
                "<h3>SHAP per class</h3><p class='note'>TreeSHAP contributions of "
                "LightGBM's first stage on {n} training rows.</p>",
                n=len(X),
            )
        )
        parts.append(_shap_figure(mean_abs, columns))
        parts.append(
            Html(
                "<h3>Where the important per-channel features sit</h3><p class='note'>"
                "Each bipolar derivation is drawn between its two electrodes, coloured by the "
                "summed mean |SHAP| of its own features; one scale and one colour bar for all "
                "classes. Nothing is interpolated. Chain, region and spectrogram features are "
                "not drawn.</p>"
            )
        )
        parts.append(_scalp_figure(mean_abs, columns))
    ranked = next(iter(imp.values())).sort_values(ascending=False).index[:6]
    parts.append(Html("<h3>Top features by expert consensus</h3>"))
    parts.append(_distributions_figure(inputs.table, ranked))
    return join(parts)
