"""The page of one label row (or one test EEG): the EEG of its 50 s window, the Kaggle
spectrogram slice, the votes beside the out-of-fold prediction (and the final model's, which
saw the row in training), and the features that pushed the prediction."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.catalogue import label
from features.engine import extract_recording
from features.montage import KAGGLE_CHAINS, SPECTROGRAM_FREQS_HZ
from features.windows import spectrogram_slice_rows
from models.explain import shap_values
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.kaggle_io import (
    DataError,
    KaggleLayout,
    read_eeg,
    read_spectrogram,
    read_test_labels,
    read_train_labels,
)
from pipelines.report.eeg_view import eeg_view
from pipelines.report.html import Html, join, page, render, table_html
from pipelines.report.inputs import ReportInputs, oof_probs
from pipelines.report.plots import CLASS_LABELS, class_colors, class_names, figure_html, pyplot


@dataclass(frozen=True)
class LabelRow:
    """One label row of train.csv, or a test EEG (offsets 0, no votes)."""

    split: str
    eeg_id: int
    sub_id: int | None
    label_id: int | None
    patient_id: int
    spectrogram_id: int
    offset: float
    spec_offset: float
    votes: np.ndarray | None


def find_row(layout: KaggleLayout, eeg_id: int, sub_id: int | None = None) -> LabelRow:
    """The label row ``eeg_sub_id == sub_id`` (default: the first) of ``eeg_id``, looked for
    in train.csv, then test.csv."""
    labels = read_train_labels(layout.train_csv)
    rows = labels[labels["eeg_id"] == eeg_id]
    if len(rows):
        if sub_id is not None:
            chosen = rows[rows["eeg_sub_id"] == sub_id]
            if chosen.empty:
                known = rows["eeg_sub_id"].tolist()
                raise DataError(
                    f"{layout.train_csv}: eeg_id {eeg_id} has no eeg_sub_id {sub_id} "
                    f"(it has {len(known)} label rows: {known[0]}..{known[-1]})"
                )
            rows = chosen
        r = rows.iloc[0]
        return LabelRow("train", eeg_id, int(r["eeg_sub_id"]), int(r["label_id"]),
                        int(r["patient_id"]), int(r["spectrogram_id"]),
                        float(r["eeg_label_offset_seconds"]),
                        float(r["spectrogram_label_offset_seconds"]),
                        r[list(VOTE_COLUMNS)].to_numpy(dtype=float))  # fmt: skip
    test = read_test_labels(layout.test_csv) if layout.test_csv.is_file() else None
    if test is not None and (test["eeg_id"] == eeg_id).any():
        r = test[test["eeg_id"] == eeg_id].iloc[0]
        return LabelRow("test", eeg_id, None, None, int(r["patient_id"]),
                        int(r["spectrogram_id"]), 0.0, 0.0, None)  # fmt: skip
    raise DataError(f"eeg_id {eeg_id} is in neither train.csv nor test.csv of {layout.root}")


def row_features(inputs: ReportInputs, row: LabelRow, raw: np.ndarray) -> np.ndarray:
    """(1, n_features) float32: from the train table when it holds the row, else computed
    for this window alone."""
    table = inputs.table
    if table is not None and row.label_id is not None:
        match = table.index[table["label_id"] == row.label_id]
        if len(match):
            return table.loc[match[:1], inputs.columns].to_numpy(dtype=np.float32)
    families = list(inputs.bundle.meta["feature_config"]["families"])
    power = rows = None
    if "spectrogram" in families:
        path = KaggleLayout(inputs.data_dir).spectrogram_path(row.split, row.spectrogram_id)
        times, power = read_spectrogram(path)
        rows = spectrogram_slice_rows(times, np.array([row.spec_offset]))
    print(f"inspect: computing the features of EEG {row.eeg_id} ...", file=sys.stderr)
    columns = extract_recording(
        raw, np.array([row.offset]), families=families,
        spectrogram_power=power, spectrogram_rows=rows,
    )  # fmt: skip
    inputs.bundle.check_columns(list(columns))
    return np.stack([columns[c] for c in inputs.bundle.feature_columns], axis=1)


def oof_prediction(inputs: ReportInputs, row: LabelRow) -> np.ndarray | None:
    """The blend's out-of-fold probabilities (6,) of the row, when the bundle was trained on
    these data."""
    if not inputs.same_data or row.label_id is None:
        return None
    match = inputs.oof.index[inputs.oof["label_id"] == row.label_id]
    return oof_probs(inputs.oof.loc[match[:1]], "blend")[0] if len(match) else None


def recording_page(inputs: ReportInputs, eeg_id: int, sub_id: int | None = None) -> Html:
    """The HTML page of one label row (the first of the EEG unless ``sub_id``), or of a
    test EEG."""
    layout = KaggleLayout(inputs.data_dir)
    row = find_row(layout, eeg_id, sub_id)
    raw = read_eeg(layout.eeg_path(row.split, eeg_id))
    X = row_features(inputs, row, raw)
    final = inputs.bundle.predict(X)[0]
    oof = oof_prediction(inputs, row)
    spec_path = layout.spectrogram_path(row.split, row.spectrogram_id)
    if not spec_path.is_file():
        spectrogram = render("<p class='note'>{p} is not there.</p>", p=str(spec_path))
    else:
        spectrogram = _spectrogram_figure(spec_path, row.spec_offset)
    body = join(
        [
            _header(inputs, row),
            Html("<h2>Votes and prediction</h2>"),
            _prediction_block(row, oof, final),
            Html("<h2>EEG window</h2>"),
            eeg_view(raw, row.offset, eeg_id),
            Html("<h2>Kaggle spectrogram (10 minutes; the EEG window boxed)</h2>"),
            spectrogram,
            _drivers_table(inputs, X, final),
        ]
    )
    return page(f"EEG {eeg_id}", body)


def _header(inputs: ReportInputs, row: LabelRow) -> Html:
    where = (
        f"label row {row.sub_id} (label_id {row.label_id}), EEG offset {row.offset:g} s"
        if row.split == "train"
        else "test EEG (window at 0 s)"
    )
    warning = render("<p class='warn'>{w}</p>", w=inputs.warning) if inputs.warning else Html("")
    return render(
        "<p><a href='index.html'>back to the report</a></p><h1>EEG {eeg}</h1>{warning}"
        "<p>patient {patient}, {where}, spectrogram {spec} from {spec_offset:g} s; data "
        "{data}; model {run}</p>",
        eeg=row.eeg_id,
        warning=warning,
        patient=row.patient_id,
        where=where,
        spec=row.spectrogram_id,
        spec_offset=row.spec_offset,
        data=str(inputs.data_dir),
        run=str(inputs.bundle.meta.get("run")),
    )


def _prediction_block(row: LabelRow, oof: np.ndarray | None, final: np.ndarray) -> Html:
    frame = pd.DataFrame({"class": class_names()})
    bars = {}
    if row.votes is not None:
        frame["votes"] = row.votes.astype(int)
        bars["expert votes (share)"] = row.votes / row.votes.sum()
    if oof is not None:
        frame["out-of-fold"] = oof
        bars["out-of-fold prediction"] = oof
    name = "final model (saw this row)" if oof is not None else "model prediction"
    frame[name] = final
    bars[name] = final
    if oof is not None:
        note = (
            "The out-of-fold prediction comes from the fold model that did not see this "
            "patient: it is the honest one. The final model was trained on every row, this "
            "one included."
        )
    elif row.split == "test":
        note = "A test EEG: no votes; the bundle's model never saw it."
    else:
        note = "These data are not the bundle's training data: no out-of-fold prediction."
    return join(
        [
            render("<p class='note'>{n}</p>", n=note),
            Html("<div class='grid'>"),
            _votes_figure(bars),
            table_html(frame, "{:.3f}"),
            Html("</div>"),
        ]
    )


def _votes_figure(bars: dict[str, np.ndarray]) -> Html:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = np.arange(6)
    width = 0.8 / len(bars)
    for i, (name, values) in enumerate(bars.items()):
        votes, oof = name.startswith("expert"), name.startswith("out-of-fold")
        alpha, hatch = (0.35, "") if votes else (1.0, "") if oof else (0.6, "//")
        ax.bar(x + (i - (len(bars) - 1) / 2) * width, values, width, color=class_colors(),
               alpha=alpha, hatch=hatch, edgecolor="#333", lw=0.4, label=name)  # fmt: skip
    ax.set_xticks(x, class_names(), fontsize=10)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability", fontsize=10)
    ax.legend(fontsize=9, loc="upper right")
    return figure_html(fig, "votes and predictions")


def _spectrogram_figure(spec_path: Path, spec_offset: float) -> Html:
    plt = pyplot()
    times, power = read_spectrogram(spec_path)
    slice_rows = spectrogram_slice_rows(times, np.array([spec_offset]))[0]
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.4), sharey=True)
    block = np.log10(np.clip(power[slice_rows], 1e-4, None))
    vmin, vmax = np.nanpercentile(block, [1, 99])
    for k, (ax, chain) in enumerate(zip(axes, KAGGLE_CHAINS, strict=True)):
        data = block[:, k * 100 : (k + 1) * 100].T
        im = ax.imshow(
            data,
            aspect="auto",
            origin="lower",
            cmap="magma",
            vmin=vmin,
            vmax=vmax,
            extent=(0, 600, SPECTROGRAM_FREQS_HZ[0], SPECTROGRAM_FREQS_HZ[-1]),
        )
        ax.axvspan(275, 325, fill=False, edgecolor="cyan", lw=1)
        ax.set_title(f"{chain} chain", fontsize=11)
        ax.set_xlabel("time in the 10 min slice (s)", fontsize=10)
    axes[0].set_ylabel("frequency (Hz)", fontsize=10)
    fig.colorbar(im, ax=axes, fraction=0.02, label="log10 power (one scale)")
    return figure_html(fig, "spectrogram slice", tight=False)


def _drivers_table(inputs: ReportInputs, X: np.ndarray, probs: np.ndarray) -> Html:
    shap = shap_values(inputs.bundle, X)
    if shap is None:
        return Html("")
    k = int(np.argmax(probs))
    contrib = shap[0, k]
    top = np.argsort(-np.abs(contrib))[:12]
    frame = pd.DataFrame(
        {
            "feature": [label(inputs.columns[i]) for i in top],
            "column": [inputs.columns[i] for i in top],
            "value": X[0, top],
            f"SHAP toward {CLASS_LABELS[CLASSES[k]]}": contrib[top],
        }
    )
    return join(
        [
            render(
                "<h2>What pushed the prediction</h2><p class='note'>TreeSHAP contributions of "
                "the final LightGBM model to the raw score of its most probable class ({name})"
                "; positive values push toward it.</p>",
                name=CLASS_LABELS[CLASSES[k]],
            ),
            table_html(frame),
        ]
    )
