"""The feature catalogue: every computed column has an entry, labels read as intended, and
the README's table is the generated one."""

from __future__ import annotations

import re

import pytest

from features.catalogue import (
    catalogue_markdown,
    catalogue_table,
    entry,
    label,
    registered_columns,
)
from tests.conftest import REPO


def test_every_registered_column_has_an_entry():
    columns = registered_columns()
    assert len(columns) > 1000
    table = catalogue_table(list(columns))
    assert table["columns"].sum() == len(columns)
    assert table["family"].nunique() == 9
    assert (table["unit"] != "").all() and (table["measures"] != "").all()


def test_labels_known_answers():
    assert label("eeg_spectral_abspow_alpha_fp1-f7_50s") == (
        "alpha power, Fp1-F7, 50 s window [log10 uV^2]"
    )
    assert label("eeg_quality_ekg_hr_10s") == "heart rate, central 10 s [beats/min]"
    assert label("spec_spectrogram_mean_hdelta_rp_600s") == (
        "spectrogram high delta mean, right parasagittal chain (RP), 10 min [log10 power]"
    )
    assert entry("eeg_laterality_lr_delta_temporal_10s").unit == "log10 ratio"


def test_unknown_feature_is_named():
    with pytest.raises(KeyError, match="spectral/madeup"):
        entry("eeg_spectral_madeup_fp1-f7_50s")


def test_readme_table_is_the_generated_one():
    text = (REPO / "README.md").read_text()
    found = re.search(r"<!-- catalogue:start -->\n(.*?)\n<!-- catalogue:end -->", text, re.S)
    assert found, "README.md has no catalogue block"
    assert found.group(1) == catalogue_markdown(list(registered_columns())), (
        "README catalogue is stale: regenerate it with `python -m features.catalogue`"
    )
