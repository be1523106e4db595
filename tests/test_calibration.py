"""The blend's calibration: the per-class calibration error by hand, a known bias recovered,
nesting (a fold's calibration never sees its labels) and the bias in a bundle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.blend import Blend, blend_out_of_fold, calibrate_blend
from models.bundle import BundleError, load_bundle, save_bundle, write_manifest
from models.calibration import calibration_report
from models.cv import fit_model
from models.gbdt import softmax
from models.metric import calibration_error


def test_calibration_error_by_hand():
    # Class 0: two rows predicted 0.05 (bin 0) with targets 0 and 0.2 -> gap |0.05 - 0.1|;
    # two rows predicted 0.85 (bin 8) with targets 1 and 1 -> gap |0.85 - 1|.
    pred = np.array([[0.05, 0.95], [0.05, 0.95], [0.85, 0.15], [0.85, 0.15]])
    target = np.array([[0.0, 1.0], [0.2, 0.8], [1.0, 0.0], [1.0, 0.0]])
    ece = calibration_error(target, pred, n_bins=10)
    np.testing.assert_allclose(ece, [0.5 * 0.05 + 0.5 * 0.15] * 2)
    np.testing.assert_allclose(calibration_error(target, target), [0, 0], atol=1e-12)
    # One bin: the gap of the means, |0.45 - 0.55| (the error a per-class bias removes).
    np.testing.assert_allclose(calibration_error(target, pred, n_bins=1), [0.1, 0.1])
    # A prediction of exactly 1 falls in the last bin.
    assert calibration_error(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])).tolist() == [0, 0]
    assert np.isnan(calibration_error(np.zeros((0, 2)), np.zeros((0, 2)))).all()
    with pytest.raises(ValueError, match="same shape"):
        calibration_error(target, pred[:, :1])
    with pytest.raises(ValueError, match="n_bins"):
        calibration_error(target, pred, n_bins=0)


def _shifted(n=600, seed=0):
    """Votes drawn from ``truth``; a model whose log-probabilities are off by a known bias."""
    rng = np.random.default_rng(seed)
    truth = softmax(rng.normal(size=(n, 6)))
    votes = np.stack([rng.multinomial(20, p) for p in truth]).astype(float)
    shift = np.array([0.8, -0.4, 0.0, 0.3, -0.5, -0.2])
    model = softmax(np.log(truth) + shift)
    return votes, model, shift


def test_calibration_recovers_a_known_bias_and_none_changes_nothing():
    votes, model, shift = _shifted()
    blend = Blend(("m",), (1.0,), 1.0)
    fitted = calibrate_blend(blend, {"m": model}, votes, mode="bias", l2=0.0)
    np.testing.assert_allclose(fitted.bias, -(shift - shift.mean()), atol=0.15)
    assert fitted.temperature == 1.0 and np.isclose(sum(fitted.bias), 0)
    assert calibrate_blend(blend, {"m": model}, votes, mode="none") is blend
    with pytest.raises(ValueError, match="unknown calibration"):
        calibrate_blend(blend, {"m": model}, votes, mode="platt")
    target = votes / votes.sum(1, keepdims=True)
    before = calibration_error(target, model, n_bins=1).mean()
    after = calibration_error(target, fitted.apply({"m": model}), n_bins=1).mean()
    assert after < 0.3 * before


def test_nested_calibration_never_sees_its_own_fold_and_is_reported():
    votes, model, _ = _shifted(n=400)
    other = softmax(np.log(model) + np.random.default_rng(1).normal(0, 0.5, model.shape))
    preds = {"a": model, "b": other}
    folds = np.arange(len(votes)) % 4
    every = np.ones(len(votes), bool)

    def nested(v):
        return blend_out_of_fold(preds, v, folds, every, calibration="both", calibration_rows=every)

    oof, final = nested(votes)
    assert final.bias is not None and len(final.bias) == 6
    changed = votes.copy()
    changed[folds == 0] = changed[folds == 0][:, ::-1]
    oof2, _ = nested(changed)
    np.testing.assert_allclose(oof2[folds == 0], oof[folds == 0])
    assert not np.allclose(oof2[folds == 1], oof[folds == 1])
    plain, _ = blend_out_of_fold(preds, votes, folds, every)
    report = calibration_report(votes, np.arange(len(votes)), folds, plain, oof)
    assert report["n_rows"] == len(votes) and len(report["kl_change"]["per_fold"]) == 4
    assert report["after"]["kl"] < report["before"]["kl"]
    assert report["after"]["ece_mean"] < report["before"]["ece_mean"]
    assert np.isclose(
        report["kl_change"]["mean"],
        np.mean(report["after"]["per_fold_kl"]) - np.mean(report["before"]["per_fold_kl"]),
    )


def test_bundle_keeps_the_bias_and_refuses_a_bad_one(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    votes = rng.integers(0, 4, size=(200, 6)).astype(float) + np.eye(6)[np.arange(200) % 6]
    models = {"lightgbm": fit_model("lightgbm", X, votes, strategy="plain", params={},
                                    seed=0, n_rounds=5)}  # fmt: skip
    blend = Blend(("lightgbm",), (1.0,), 1.2, (0.3, -0.1, 0.0, 0.0, -0.2, 0.0))
    path = save_bundle(tmp_path / "run", feature_columns=["a", "b", "c", "d"], models=models,
                       blend=blend, meta={})  # fmt: skip
    loaded = load_bundle(path)
    assert loaded.blend == blend
    np.testing.assert_allclose(loaded.predict(X), blend.apply(loaded.predict_models(X)))
    document = json.loads((path / "bundle.json").read_text())
    document["blend"]["bias"] = [0.1, 0.2]
    (path / "bundle.json").write_text(json.dumps(document))
    write_manifest(path)
    with pytest.raises(BundleError, match="bias has 2 values"):
        load_bundle(path)
    del document["blend"]["bias"]  # a bundle from before the calibration
    (path / "bundle.json").write_text(json.dumps(document))
    write_manifest(path)
    assert load_bundle(path).blend.bias is None


def test_report_block_shows_before_and_after():
    from pipelines.report.sections import calibration_block, calibration_table

    votes, model, _ = _shifted(n=200)
    folds = np.arange(len(votes)) % 4
    report = calibration_report(votes, np.arange(200), folds, model, model.copy())
    report = {"mode": "bias", "applied": False, **report}
    table = calibration_table(report)
    assert table["blend"].tolist() == ["before", "after"] and "grda" in table
    html = calibration_block(report)
    assert "measured only, not applied" in html and "+0.0000 +- 0.0000" in html
