"""Folds, soft-label training, blending and bundles on small synthetic tables."""

from __future__ import annotations

import numpy as np
import pytest

from models.blend import Blend, fit_blend
from models.bundle import ColumnMismatchError, load_bundle, save_bundle
from models.cv import cross_validate, fit_model, vote_weight
from models.folds import patient_folds
from models.gbdt import expand_soft_labels, softmax
from models.metric import kl_divergence


def _synthetic(n=1200, seed=0, votes_per_row=12):
    """Features that set known class probabilities; votes drawn from them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8)).astype(np.float32)
    logits = np.stack([2 * X[:, 0], 2 * X[:, 1], -X[:, 0], X[:, 2], np.zeros(n), X[:, 3]], axis=1)
    truth = softmax(logits)
    votes = np.stack([rng.multinomial(votes_per_row, p) for p in truth]).astype(float)
    patients = rng.integers(0, 60, n)
    return X, votes, truth, patients


def test_folds_keep_each_patient_in_one_fold_and_balance_classes():
    rng = np.random.default_rng(1)
    patients = rng.integers(0, 80, 2000)
    consensus = rng.integers(0, 6, 2000)
    folds = patient_folds(patients, consensus, n_folds=5, seed=3)
    for p in np.unique(patients):
        assert len(np.unique(folds[patients == p])) == 1
    sizes = np.bincount(folds)
    assert sizes.min() > 0.7 * sizes.max()
    assert np.array_equal(folds, patient_folds(patients, consensus, n_folds=5, seed=3))
    with pytest.raises(ValueError, match="number of patients"):
        patient_folds(np.array([1, 1, 2]), np.array([0, 1, 0]), n_folds=3)


def test_expansion_reproduces_the_soft_cross_entropy():
    probs = np.array([[0.5, 0.5, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1.0]])
    source, label, weight = expand_soft_labels(probs, np.array([2.0, 1.0]))
    assert source.tolist() == [0, 0, 1] and label.tolist() == [0, 1, 5]
    assert weight.tolist() == [1.0, 1.0, 1.0]
    assert vote_weight(np.array([3, 10, 20]), "weighted").tolist() == [0.3, 1.0, 1.0]


@pytest.mark.parametrize("kind", ["lightgbm", "catboost"])
def test_soft_label_training_gets_close_to_the_floor(kind):
    X, votes, truth, patients = _synthetic()
    floor = kl_divergence(votes / votes.sum(1, keepdims=True), truth)
    uniform = kl_divergence(votes / votes.sum(1, keepdims=True), np.full_like(truth, 1 / 6))
    folds = patient_folds(patients, votes.argmax(1), n_folds=4)
    result = cross_validate(
        kind, X, votes, folds, strategy="plain", params={}, seed=0, n_rounds=400
    )
    kl = result.report["kl_all"]
    assert kl < floor + 0.12, (kl, floor)
    assert kl < 0.5 * uniform


def test_two_stage_adds_a_second_booster():
    X, votes, _, _ = _synthetic(n=600)
    votes[:300] = np.round(votes[:300] / 4)  # some low-vote rows
    votes[votes.sum(1) == 0, 5] = 1
    model = fit_model(
        "lightgbm", X, votes, strategy="two_stage", params={}, seed=0, n_rounds=[30, 10]
    )
    assert len(model.stages) == 2 and model.rounds == [30, 10]
    assert np.allclose(model.predict(X[:5]).sum(1), 1)


def test_blend_prefers_the_better_model_and_stays_on_the_simplex():
    _, votes, truth, _ = _synthetic(n=800)
    rng = np.random.default_rng(0)
    good = softmax(np.log(truth) + rng.normal(0, 0.1, truth.shape))
    bad = softmax(rng.normal(size=truth.shape))
    blend = fit_blend({"good": good, "bad": bad}, votes)
    assert blend.weights[0] > 0.8 and np.isclose(sum(blend.weights), 1)
    blended = blend.apply({"good": good, "bad": bad})
    assert (
        kl_divergence(votes / votes.sum(1, keepdims=True), blended)
        <= kl_divergence(votes / votes.sum(1, keepdims=True), good) + 1e-6
    )


def test_bundle_round_trip_and_column_mismatch(tmp_path):
    X, votes, _, _ = _synthetic(n=400)
    columns = [f"f{i}" for i in range(X.shape[1])]
    models = {
        "lightgbm": fit_model(
            "lightgbm", X, votes, strategy="plain", params={}, seed=0, n_rounds=20
        ),
        "catboost": fit_model(
            "catboost", X, votes, strategy="two_stage", params={}, seed=0, n_rounds=[20, 5]
        ),
    }
    blend = Blend(("lightgbm", "catboost"), (0.4, 0.6), 1.1)
    path = save_bundle(
        tmp_path / "run",
        feature_columns=columns,
        models=models,
        blend=blend,
        meta={"feature_config_hash": "abc"},
    )
    assert sorted(p.name for p in path.iterdir()) == [
        "bundle.json",
        "catboost_stage1.cbm",
        "catboost_stage2.cbm",
        "features.json",
        "lightgbm_stage1.txt",
        "manifest.json",
    ]
    loaded = load_bundle(path)
    expected = blend.apply({k: m.predict(X) for k, m in models.items()})
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6, atol=1e-9)
    loaded.check_columns(columns)
    with pytest.raises(ColumnMismatchError, match=r"1 missing \(e.g. f7\); 1 unexpected"):
        loaded.check_columns([*columns[:-1], "g"])
    with pytest.raises(ColumnMismatchError, match="another order"):
        loaded.check_columns(columns[::-1])


def test_a_class_absent_from_training_is_not_predicted_as_zero():
    X, votes, _, _ = _synthetic(n=500)
    votes[:, 4] = 0  # nobody ever votes GRDA in these rows
    votes[votes.sum(1) == 0, 5] = 1
    for kind in ("lightgbm", "catboost"):
        model = fit_model(kind, X, votes, strategy="plain", params={}, seed=0, n_rounds=30)
        probs = model.predict(X[:20])
        assert probs[:, 4].min() >= 1e-5 and np.allclose(probs.sum(1), 1)
