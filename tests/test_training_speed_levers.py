"""The levers that make Kaggle-size training fast: LightGBM's soft-label objective (every row
once instead of one row per voted class) and column pruning by importance."""

from __future__ import annotations

import numpy as np
import pytest

from models.blend import Blend
from models.bundle import load_bundle, save_bundle
from models.cv import RowInfo, cross_validate, fit_final, fit_model
from models.explain import importance, shap_values
from models.folds import patient_folds
from models.gbdt import (
    HESSIAN_FACTOR,
    LIGHTGBM_DEFAULTS,
    expand_soft_labels,
    fit_lightgbm,
    lightgbm_margin,
    soft_label_objective,
    soft_log_loss,
    softmax,
)
from models.select import ColumnSelector, top_columns


def _informative(n=1500, n_noise=30, seed=0):
    """Four informative columns (0-3) among ``n_noise`` pure-noise ones; soft votes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4 + n_noise)).astype(np.float32)
    logits = np.stack([2 * X[:, 0], 2 * X[:, 1], -X[:, 0], X[:, 2], np.zeros(n), X[:, 3]], 1)
    truth = softmax(logits)
    votes = np.stack([rng.multinomial(8, p) for p in truth]).astype(float)
    return X, votes, truth, rng.integers(0, 50, n)


def test_soft_objective_gradient_and_hessian_are_the_cross_entropys():
    probs = np.array([[0.5, 0.5, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1.0]])
    margin = np.array([[1.0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    grad, hess = soft_label_objective(probs, np.array([2.0, 1.0]))(margin, None)
    p = softmax(margin)
    np.testing.assert_allclose(grad, (p - probs) * np.array([[2.0], [1.0]]))
    np.testing.assert_allclose(hess, HESSIAN_FACTOR * p * (1 - p) * np.array([[2.0], [1.0]]))
    # the gradient is the derivative of the weighted loss: a finite-difference check
    step = 1e-6
    bumped = margin.copy()
    bumped[0, 0] += step
    w = np.array([2.0, 1.0])
    numeric = (soft_log_loss(bumped, probs, w) - soft_log_loss(margin, probs, w)) / step * w.sum()
    assert numeric == pytest.approx(grad[0, 0], rel=1e-4)


def test_soft_objective_matches_lightgbms_own_multiclass_on_expanded_rows():
    import lightgbm as lgb

    X, votes, _, _ = _informative(n=2000, n_noise=4)
    probs = votes / votes.sum(1, keepdims=True)
    Xv, _, truth_v, _ = _informative(n=800, n_noise=4, seed=1)
    ours = fit_lightgbm(X, probs, n_rounds=150, n_threads=1)
    source, label, weight = expand_soft_labels(probs)
    params = {
        **LIGHTGBM_DEFAULTS,
        "objective": "multiclass",
        "num_class": 6,
        "verbose": -1,
        "num_threads": 1,
        "seed": 0,
        "deterministic": True,
        "force_row_wise": True,
    }
    native = lgb.train(params, lgb.Dataset(X[source], label=label, weight=weight), 150)
    loss_ours = soft_log_loss(lightgbm_margin(ours.model, Xv), truth_v, None)
    loss_native = soft_log_loss(native.predict(Xv, raw_score=True), truth_v, None)
    floor = soft_log_loss(np.log(truth_v), truth_v, None)
    assert loss_ours - floor < 0.1
    assert loss_ours <= loss_native + 0.02  # no worse than the expansion it replaces


def test_soft_objective_early_stops_on_its_own_metric():
    X, votes, _, _ = _informative(n=1000, n_noise=4)
    probs = votes / votes.sum(1, keepdims=True)
    Xv, votes_v, _, _ = _informative(n=400, n_noise=4, seed=2)
    fit = fit_lightgbm(
        X,
        probs,
        n_rounds=2000,
        params={"learning_rate": 0.3},
        eval_set=(Xv, votes_v / votes_v.sum(1, keepdims=True), None),
        early_stopping=20,
        n_threads=1,
    )
    assert fit.best_iteration < 2000 - 20  # it stopped
    assert np.argmin(fit.history) + 1 == fit.best_iteration


def test_top_columns_and_the_selector_keep_the_informative_columns():
    assert top_columns(np.array([3.0, 0.0, 3.0, 9.0]), 3).tolist() == [0, 2, 3]
    X, votes, _, _ = _informative()
    probs = votes / votes.sum(1, keepdims=True)
    selector = ColumnSelector(6, seed=0)
    chosen = selector.columns("fold0", X, probs, None)
    assert set(range(4)) <= set(chosen.tolist()) and len(chosen) == 6
    # remembered under its key: the same object comes back without ranking again
    assert selector.columns("fold0", X[:10], probs[:10], None) is chosen
    assert ColumnSelector(None).columns("k", X, probs, None) is None
    assert ColumnSelector(100).columns("k", X, probs, None) is None  # fewer columns than 100


def test_pruned_cv_and_final_model_predict_from_the_full_matrix(tmp_path):
    X, votes, _, patients = _informative()
    folds = patient_folds(patients, votes.argmax(1), n_folds=3)
    rows = RowInfo(patient_id=patients)
    selector = ColumnSelector(6, seed=0)
    pruned = cross_validate(
        "lightgbm",
        X,
        votes,
        folds,
        strategy="plain",
        params={},
        seed=0,
        n_rounds=300,
        rows=rows,
        selector=selector,
    )
    full = cross_validate(
        "lightgbm", X, votes, folds, strategy="plain", params={}, seed=0, n_rounds=300, rows=rows
    )
    # three folds, one choice each, made on the fold's own training rows
    assert len(selector._chosen) == 3
    assert pruned.report["kl_all"] <= full.report["kl_all"] + 0.02
    final = {
        kind: fit_final(
            kind,
            X,
            votes,
            rows=rows,
            group_mode="none",
            selector=selector,
            strategy="plain",
            params={},
            seed=0,
            n_rounds=30,
        )
        for kind in ("lightgbm", "catboost")
    }
    assert all(len(m.columns) == 6 for m in final.values())
    columns = [f"f{i}" for i in range(X.shape[1])]
    blend = Blend(("lightgbm", "catboost"), (0.5, 0.5), 1.0)
    path = save_bundle(
        tmp_path / "run", feature_columns=columns, models=final, blend=blend, meta={}
    )
    loaded = load_bundle(path)
    np.testing.assert_allclose(
        loaded.predict(X), blend.apply({k: m.predict(X) for k, m in final.items()}), rtol=1e-6
    )
    assert loaded.models["lightgbm"].columns.tolist() == final["lightgbm"].columns.tolist()
    shares = importance(loaded, columns)
    kept = set(final["lightgbm"].columns.tolist())
    assert all(shares["lightgbm"][c] == 0 for i, c in enumerate(columns) if i not in kept)
    assert shares["lightgbm"].sum() == pytest.approx(1.0)
    contrib = shap_values(loaded, X[:5])
    assert contrib.shape == (5, 6, X.shape[1])
    # contributions plus the expected value give the raw scores of the pruned model
    margin = loaded.models["lightgbm"].margin(X[:5])
    booster = loaded.models["lightgbm"].stages[0]
    raw = booster.predict(X[:5][:, final["lightgbm"].columns], pred_contrib=True)
    bias = raw.reshape(5, 6, -1)[:, :, -1]
    np.testing.assert_allclose(contrib.sum(axis=2) + bias, margin, rtol=1e-5, atol=1e-6)


def test_an_unpruned_model_keeps_every_column_and_the_old_bundle_layout(tmp_path):
    X, votes, _, _ = _informative(n=300, n_noise=2)
    model = fit_model("lightgbm", X, votes, strategy="plain", params={}, seed=0, n_rounds=5)
    assert model.columns is None and model.take(X) is X
    path = save_bundle(
        tmp_path / "run",
        feature_columns=[f"f{i}" for i in range(6)],
        models={"lightgbm": model},
        blend=Blend(("lightgbm",), (1.0,), 1.0),
        meta={},
    )
    assert "columns" not in (path / "bundle.json").read_text()
    assert load_bundle(path).models["lightgbm"].columns is None
