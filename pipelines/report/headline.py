"""The report's headline: the test-like score of the blend beside the class prior and the
starter features, and the weakest class with its main confusion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.report.html import Html, join, render, table_html
from pipelines.report.inputs import oof_probs
from pipelines.report.plots import CLASS_LABELS
from pipelines.runs import like_test_kl, like_test_mask
from pipelines.train_stage import prior_oof


def weakest_class(oof: pd.DataFrame) -> tuple[int, float, int, float, int]:
    """On every label row (the test-like rows are too few per class to rank classes): the
    consensus class whose rows the blend's out-of-fold arg-max gets right least often, that
    recall, the class it is most often called instead, the share of its rows called so, and
    its row count."""
    mask = np.ones(len(oof), dtype=bool)
    votes = oof.loc[mask, list(VOTE_COLUMNS)].to_numpy(dtype=float)
    predicted = oof_probs(oof.loc[mask], "blend").argmax(axis=1)
    consensus = votes.argmax(axis=1)
    best = None
    for k in range(len(CLASSES)):
        rows = consensus == k
        if not rows.any():
            continue
        recall = float((predicted[rows] == k).mean())
        if best is None or recall < best[1]:
            wrong = np.bincount(predicted[rows & (predicted != k)], minlength=len(CLASSES))
            other = int(wrong.argmax())
            best = (k, recall, other, float(wrong[other] / rows.sum()), int(rows.sum()))
    return best


def headline_section(oof: pd.DataFrame) -> Html:
    frame = oof.assign(
        **{
            f"prior_{c}": p
            for c, p in zip(
                CLASSES,
                prior_oof(oof[list(VOTE_COLUMNS)].to_numpy(dtype=float), oof["fold"].to_numpy()).T,
                strict=True,
            )
        }
    )
    names = {"blend": "blend (all features)", "prior": "class prior", "starter": "starter set"}
    scores = {label: like_test_kl(frame, key) for key, label in names.items()}
    n_rows = int(like_test_mask(oof).sum())
    k, recall, other, share, n_k = weakest_class(oof)
    starter = scores["starter set"]
    first = render(
        "<p class='headline'>Out of fold, on {n} test-like rows (one per EEG, at least 10 "
        "votes, like the competition's hidden test), the blend scores <b>KL {b:.3f}</b> "
        "against {p:.3f} for the class prior{s} (lower is better).",
        n=n_rows,
        b=scores["blend (all features)"],
        p=scores["class prior"],
        s="" if starter is None else f" and {starter:.3f} for the starter spectrogram set",
    )
    confusion = "which it most often calls {o} ({s:.0%})" if share > 0 else "never missed"
    second = render(
        " Its weakest class is <b>{k}</b>: its most probable class is the experts' consensus "
        "on {r:.0%} of its {n} label rows, " + confusion + ".</p>",
        k=CLASS_LABELS[CLASSES[k]],
        r=recall,
        n=n_k,
        o=CLASS_LABELS[CLASSES[other]],
        s=share,
    )
    table = pd.DataFrame(
        {
            "model": list(scores),
            "test-like KL": [np.nan if v is None else v for v in scores.values()],
        }
    )
    return join([Html("<h2 id='headline'>Headline</h2>"), first, second, table_html(table)])
