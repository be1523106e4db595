"""The ``pseudo`` strategy: low-vote targets blended with a first model's predictions, and
no scored label reaching the model that scores it."""

from __future__ import annotations

import numpy as np
import pytest

from models.cv import (
    RowInfo,
    cross_validate,
    fit_final,
    fit_model,
    inner_first_stage,
    pseudo_targets,
)
from models.folds import patient_folds
from models.gbdt import softmax
from models.groups import training_units


def _low_vote_table(n=240, seed=0):
    """Features that set the class probabilities; a mix of 1-3-vote and 12-15-vote rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    logits = np.stack([2 * X[:, 0], 2 * X[:, 1], -X[:, 0], X[:, 2], np.zeros(n), X[:, 3]], 1)
    n_votes = rng.choice([1, 2, 3, 12, 15], n)
    votes = np.stack([rng.multinomial(k, p) for k, p in zip(n_votes, softmax(logits), strict=True)])
    patients = rng.integers(0, 24, n)
    folds = patient_folds(patients, votes.argmax(1), n_folds=3)
    return X, votes.astype(float), patients, folds


def test_pseudo_targets_blend_low_vote_rows_by_hand():
    votes = np.array([[1, 0, 0, 0, 0, 0], [3, 1, 0, 0, 0, 0], [10, 0, 0, 0, 0, 2]], float)
    pred = np.array([[0, 0.5, 0.5, 0, 0, 0], [0.25] * 4 + [0, 0], [0, 1.0, 0, 0, 0, 0]])
    out = pseudo_targets(votes, pred, prior_votes=4.0)
    # (1 vote + 4 * pred) / 5
    np.testing.assert_allclose(out[0], [0.2, 0.4, 0.4, 0, 0, 0])
    # (4 votes: 3/4, 1/4) weighted 4, pred weighted 4: (3 + 1, 1 + 1, 1, 1, 0, 0) / 8
    np.testing.assert_allclose(out[1], [0.5, 0.25, 0.125, 0.125, 0, 0])
    # 12 votes: reliable, untouched
    np.testing.assert_allclose(out[2], [10 / 12, 0, 0, 0, 0, 2 / 12])
    np.testing.assert_allclose(out.sum(1), 1)
    np.testing.assert_allclose(pseudo_targets(votes, pred, prior_votes=0.0)[:2], [
        [1, 0, 0, 0, 0, 0], [0.75, 0.25, 0, 0, 0, 0]
    ])  # fmt: skip
    with pytest.raises(ValueError, match="first_pred has shape"):
        pseudo_targets(votes, pred[:2])


def test_pseudo_needs_first_stage_predictions():
    X, votes, _, _ = _low_vote_table(n=60)
    with pytest.raises(ValueError, match="needs first_pred"):
        fit_model("lightgbm", X, votes, strategy="pseudo", params={}, seed=0, n_rounds=5)
    model = fit_model(
        "lightgbm", X, votes, strategy="pseudo", params={}, seed=0, n_rounds=5,
        first_pred=np.full(votes.shape, 1 / 6),
    )  # fmt: skip
    assert model.rounds == [5] and np.allclose(model.predict(X[:3]).sum(1), 1)


def test_inner_first_stage_reads_only_the_units_it_is_given():
    X, votes, patients, folds = _low_vote_table()
    fit_units = np.flatnonzero(folds != 0)

    def first(v):
        u = training_units(X, v, None, "none")
        return inner_first_stage(
            "lightgbm", u, fit_units, None, patients, params={}, seed=0, n_rounds=20
        )

    pred = first(votes)
    assert pred.shape == (len(fit_units), 6) and np.allclose(pred.sum(1), 1)
    changed = votes.copy()
    changed[folds == 0] = changed[folds == 0][:, ::-1]  # the scored fold's labels
    np.testing.assert_array_equal(first(changed), pred)


def test_pseudo_oof_of_a_fold_does_not_depend_on_its_own_labels():
    X, votes, patients, folds = _low_vote_table()
    rows = RowInfo(eeg_id=np.arange(len(X)), patient_id=patients)

    def cv(v):
        return cross_validate(
            "lightgbm", X, v, folds, strategy="pseudo", params={}, seed=0, n_rounds=40,
            rows=rows,
        )  # fmt: skip

    result = cv(votes)
    changed = votes.copy()
    changed[folds == 0] = changed[folds == 0][:, ::-1]
    again = cv(changed)
    # The training targets of fold 0's model (and so its predictions) never read fold 0.
    np.testing.assert_array_equal(again.oof[folds == 0], result.oof[folds == 0])
    np.testing.assert_array_equal(again.first_oof[folds == 0], result.first_oof[folds == 0])
    assert not np.array_equal(again.oof[folds == 1], result.oof[folds == 1])
    # The first stage is the weighted model of each fold, on the same columns and seeds.
    weighted = cross_validate(
        "lightgbm", X, votes, folds, strategy="weighted", params={}, seed=0, n_rounds=40,
        rows=rows,
    )  # fmt: skip
    np.testing.assert_allclose(result.first_oof, weighted.oof)
    final = fit_final(
        "lightgbm", X, votes, rows=rows, group_mode="none", strategy="pseudo", params={},
        seed=0, n_rounds=result.final_rounds(), first_pred=result.first_oof,
    )  # fmt: skip
    assert np.allclose(final.predict(X[:4]).sum(1), 1)
