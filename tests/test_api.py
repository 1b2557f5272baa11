"""The Python API: qualcode.open_project(...) methods return DataFrames with the right numbers."""

from __future__ import annotations

import pandas as pd
import pytest

import qualcode
from tests.analysis_helpers import build_small_project


@pytest.fixture
def api_project(project):
    build_small_project(project)
    p = qualcode.open_project(str(project.project_dir), coder="alice")
    yield p
    p.close()


def test_open_project_dataframes(api_project):
    p = api_project
    docs = p.documents()
    assert isinstance(docs, pd.DataFrame)
    d1 = docs.set_index("name").loc["D1"]
    assert (d1["participant_words"], d1["excerpts"], d1["year"]) == (11, 4, "2018")
    ex = p.excerpts(code_id="rel_trust")
    assert ex["excerpt_id"].nunique() == 3 and "P-Ana" in set(ex["speaker"])
    cod = p.codings()
    assert len(cod) == 9 and set(cod["coder"]) == {"alice", "bob"}
    assert len(p.codings(include="pending")) == 12
    f = p.frequencies(by="year").set_index(["year", "code_id"])
    assert f.loc[("2018", "rel"), "excerpts"] == 3
    cmp = p.compare(by="year").set_index("code_id")
    # D4 (2021), which nobody has started, is left out: rel_trust is then in every document compared
    assert cmp.attrs["not_started"] == 1 and cmp.loc["rel_trust", "test"] == "none"
    assert cmp.loc["rel", "2021 N"] == 1
    co = p.cooccurrence(level="document").set_index(["code_a", "code_b"])
    assert co.loc[("rel_trust", "evid"), "count"] == 2
    assert p.matrix(values="counts").set_index("document").loc["D2", "rel"] == 2
    assert p.status()["codings"] == 9
