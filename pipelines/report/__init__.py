"""``hms inspect``: a self-contained HTML report of a trained bundle, and per-recording views.

The report (``W/reports/{run}/index.html``, images embedded as PNG, opens offline) covers the
data (class balance, votes per row, rows per EEG, EEGs per patient), the scores (the CV
table, KL by class, by vote-count bucket and by fold), the behaviour (confusion of the
blend's arg-max against the expert consensus, reliability curves per class), the features
(importance per model, scalp maps per class, SHAP per class, class-wise distributions of
the top features, an optional family ablation) and example recordings, each on a page of
its own (``eeg_{id}.html``): the bipolar traces of the 50 s window with the labelled 10 s
marked, the Kaggle spectrogram slice per chain, votes beside predicted probabilities, and
the features that pushed the prediction most.

Modules: ``inputs`` (what is read), ``sections`` and ``feature_views`` (the report's
sections), ``recording`` (the per-recording page), ``plots`` and ``html`` (helpers; every
value is escaped by construction).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.config import WorkLayout
from pipelines.files import write_text_atomic
from pipelines.report.feature_views import features_section
from pipelines.report.html import Html, join, page, render
from pipelines.report.inputs import ReportInputs, example_rows, load_inputs
from pipelines.report.plots import CLASS_LABELS
from pipelines.report.recording import recording_page
from pipelines.report.sections import (
    ablation_section,
    behaviour_section,
    data_section,
    scores_section,
)

__all__ = ["InspectSummary", "build_report"]

SECTION_IDS = ("data", "scores", "behaviour", "features", "examples")


@dataclass
class InspectSummary:
    index: Path
    pages: list[Path]
    seconds: float


def _example_pages(inputs: ReportInputs, out: Path) -> tuple[list[Path], Html]:
    pages, links = [], []
    for eeg, index in example_rows(inputs.table):
        path = out / f"eeg_{eeg}.html"
        write_text_atomic(path, recording_page(inputs, eeg, index))
        pages.append(path)
        k = int(inputs.table.loc[index, list(VOTE_COLUMNS)].to_numpy(dtype=float).argmax())
        links.append(
            render(
                "<li><a href='{href}'>EEG {eeg}</a>: expert consensus {name}</li>",
                href=path.name,
                eeg=eeg,
                name=CLASS_LABELS[CLASSES[k]],
            )
        )
    section = join([Html("<h2 id='examples'>Example recordings</h2><ul>"), *links, Html("</ul>")])
    return pages, section


def _header(inputs: ReportInputs) -> Html:
    meta = inputs.bundle.meta
    nav = join(render("<a href='#{s}'>{t}</a> ", s=s, t=s.title()) for s in SECTION_IDS)
    return render(
        "<h1>HMS harmful brain activity: model report</h1><p class='note'>Bundle {bundle} "
        "(run {run}, strategy {strategy}), data {data}.</p><nav>{nav}</nav>",
        bundle=str(inputs.bundle.path),
        run=str(meta.get("run")),
        strategy=str(meta.get("strategy")),
        data=str(inputs.data_dir),
        nav=nav,
    )


def build_report(
    data_dir: Path,
    work_dir: Path,
    *,
    model_dir: Path | None = None,
    out: Path | None = None,
    ablation: bool = False,
    eeg_id: int | None = None,
) -> InspectSummary:
    """Write the report (or, with ``eeg_id``, only that recording's page)."""
    start = time.perf_counter()
    inputs = load_inputs(data_dir, work_dir, model_dir)
    out = Path(out) if out else WorkLayout(work_dir).report(inputs.bundle.path.name)
    if eeg_id is not None:
        path = out / f"eeg_{eeg_id}.html"
        write_text_atomic(path, recording_page(inputs, eeg_id))
        return InspectSummary(path, [path], time.perf_counter() - start)

    cv = json.loads((inputs.bundle.path / "cv.json").read_text())
    pages, examples = _example_pages(inputs, out)
    meta = inputs.bundle.meta
    sections = [
        data_section(inputs.table),
        scores_section(inputs.bundle, inputs.oof, cv),
        behaviour_section(inputs.oof),
        features_section(inputs),
    ]
    if ablation:
        sections.append(ablation_section(inputs, meta.get("n_folds", 5), meta.get("seed", 0)))
    sections.append(examples)
    index = out / "index.html"
    write_text_atomic(index, page("HMS model report", join([_header(inputs), *sections])))
    return InspectSummary(index, [index, *pages], time.perf_counter() - start)
